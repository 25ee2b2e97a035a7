// The default sender against a local fake of the SQS JSON API: proves the client honours
// AWS_ENDPOINT_URL (how the emulator is reached) and what goes on the wire. No AWS involved.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';

const requests: { headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
const server = createServer((req, res) => {
  let text = '';
  req.on('data', (c) => (text += c));
  req.on('end', () => {
    const body = JSON.parse(text) as Record<string, unknown>;
    requests.push({ headers: req.headers, body });
    // The SDK checks the MD5 of the body it sent, as real SQS returns it.
    const md5 = createHash('md5').update(String(body.MessageBody)).digest('hex');
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify({ MessageId: `m-${requests.length}`, MD5OfMessageBody: md5 }));
  });
});
const saved = { ...process.env };

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port}`;
  delete process.env.AWS_ENDPOINT_URL_SQS;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
});

afterAll(async () => {
  process.env = saved;
  await new Promise((resolve) => server.close(resolve));
});

it('sends the result as the SendMessage body to AWS_ENDPOINT_URL, even when the queue URL names another host', async () => {
  // Imported after the environment is set: the client is created on first use.
  const { sqsSend, RESULT_PROTOCOL } = await import('../../../sdk/node/index.ts');
  // Port 80 has no server: reaching the fake proves the configured endpoint won over the URL's host.
  const queueUrl = 'http://127.0.0.1/000000000000/currant-events';
  const message = {
    protocol: RESULT_PROTOCOL,
    type: 'taskResult',
    instanceId: 'i-1',
    taskId: 'n1.s1',
    attempt: 2,
    token: 'tok',
    ok: true,
    result: { n: 1 },
  } as const;
  await sqsSend(queueUrl, message);
  await sqsSend(`${queueUrl}.fifo`, message);

  expect(requests).toHaveLength(2);
  expect(requests[0]!.headers['x-amz-target']).toBe('AmazonSQS.SendMessage');
  expect(requests[0]!.body.QueueUrl).toBe(queueUrl);
  expect(JSON.parse(String(requests[0]!.body.MessageBody))).toEqual(message);
  expect(requests[0]!.body.MessageGroupId).toBeUndefined();
  // FIFO: grouped by instance, deduplicated per attempt and token (a forgery cannot take the real one's id).
  expect(requests[1]!.body.MessageGroupId).toBe('i-1');
  expect(requests[1]!.body.MessageDeduplicationId).toBe(createHash('sha256').update('i-1/n1.s1#2/tok').digest('hex'));
});
