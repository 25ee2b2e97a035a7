/**
 * Every example's workflow, tested the way a user tests theirs: with currant/testing, its own
 * tasks module (or scripted outcomes for the paths its tasks never take), and the test clock —
 * the approval's timeout, the polling sleeps and the retry backoffs pass in test time.
 * (examples.test.ts runs the same examples through the real CLI, as documented.)
 */
import { describe, expect, it } from 'vitest';
import { fails, returns, testWorkflow, timesOut } from '../../testing/index.ts';
import * as approvalTasks from '../../examples/approval/tasks.ts';
import * as faninTasks from '../../examples/fanin/tasks.ts';
import * as fanoutTasks from '../../examples/fanout/tasks.ts';
import * as flakyTasks from '../../examples/flaky/tasks.ts';
import * as mixedTasks from '../../examples/mixed/tasks.ts';
import * as orderTasks from '../../examples/order/tasks.ts';
import * as pollingTasks from '../../examples/polling/tasks.ts';
import * as reservationTasks from '../../examples/reservation/tasks.ts';
import * as sagaTasks from '../../examples/saga/tasks.ts';

const example = (name: string) => new URL(`../../examples/${name}/${name}.workflow`, import.meta.url);

describe('examples, with currant/testing', () => {
  it('order: charges, ships and returns the tracking id; a failed shipment refunds', async () => {
    const order = testWorkflow(example('order'), { tasks: orderTasks });
    const shipped = await order.run({ orderId: 'o-1', amount: 42 });
    expect(shipped.result).toBe('TRK-o-1');
    expect(shipped.calls.map((c) => c.task)).toEqual(['chargeCard', 'shipOrder']);

    const refunded = await order.run({ orderId: 'backorder-1', amount: 42 });
    expect(refunded.result).toBe('refunded');
    expect(refunded.callsOf('refundOrder').map((c) => c.args)).toEqual([['backorder-1', 'pay-backorder-1']]);

    const declined = await order.run({ orderId: 'o-2', amount: 5000 });
    expect(declined.result).toBe('payment failed: card declined for 5000');
  });

  it('approval: nobody answers and the 5s timeout passes in test time; an answer at a chosen point decides', async () => {
    const approval = testWorkflow(example('approval'), { tasks: approvalTasks });
    const expired = await approval.run({ requestId: 'r-1', amount: 250 });
    expect(expired.result).toBe('expired: nobody answered in time');
    expect(expired.elapsedMs).toBe(5000);
    expect(expired.callsOf('notifyRequester').map((c) => c.args)).toEqual([['r-1', 'expired']]);

    const approved = await approval.start({ requestId: 'r-2', amount: 250 });
    expect(approved.waitingFor).toEqual(['approval']);
    await approved.skip('4s');
    await approved.signal('approval', { approved: true, by: 'ana' });
    expect(approved.result).toBe('approved by ana');

    const rejected = await approval.start({ requestId: 'r-3', amount: 250 });
    await rejected.signal('approval', { approved: false });
    expect(rejected.result).toBe('rejected');
    expect(rejected.callsOf('notifyRequester').map((c) => c.args[1])).toEqual(['rejected']);
  });

  it('fanout: three items at a time, results in order', async () => {
    const items = ['apple', 'banana', 'cherry', 'damson', 'elder', 'fig', 'grape'];
    const run = await testWorkflow(example('fanout'), { tasks: fanoutTasks }).run({ items });
    expect(run.result).toEqual({ count: 7, totalSize: items.join('').length, peakInFlight: 3 });
    expect(run.calls.map((c) => c.args[0])).toEqual(items);
  });

  it('fanin: a hundred results summed', async () => {
    const items = Array.from({ length: 100 }, (_, i) => i + 1);
    const run = await testWorkflow(example('fanin'), { tasks: faninTasks }).run({ items });
    expect(run.result).toEqual({ count: 100, sum: items.reduce((s, n) => s + n * n, 0) });
  });

  it('flaky: two failed attempts, then the retry policy carries it (backoff 100ms, then 200ms)', async () => {
    const run = await testWorkflow(example('flaky'), { tasks: flakyTasks }).run({ symbol: 'TEST-FLAKY' });
    expect(run.result).toBe('TEST-FLAKY at 101.5 (attempt 3)');
    expect(run.callsOf('fetchQuote').map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(run.elapsedMs).toBe(300);
  });

  it('polling: checks every second until the job is done', async () => {
    const run = await testWorkflow(example('polling'), { tasks: pollingTasks }).run({ name: 'report' });
    expect(run.result).toEqual({ jobId: 'job-report', checks: 3, result: 'job-report: 3 pages, 42 rows' });
    expect(run.callsOf('checkJob').map((c) => c.at)).toEqual(['2025-01-01T00:00:00.000Z', '2025-01-01T00:00:01.000Z', '2025-01-01T00:00:02.000Z']);
  });

  it('saga: books everything, or undoes what was booked and fails with the cause', async () => {
    const saga = testWorkflow(example('saga'), { tasks: sagaTasks });
    const booked = await saga.run({ trip: 't1', to: 'Lisbon' });
    expect(booked.result).toEqual({ hotel: 'hotel-t1', flight: 'flight-t1', car: 'car-t1' });

    const failed = await saga.run({ trip: 't2', to: 'Atlantis' });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'CR017', message: 'trip t2 not booked (NoSeats: no seats to Atlantis)' });
    expect(failed.calls.map((c) => c.task)).toEqual(['bookHotel', 'bookFlight', 'cancelHotel']);

    // The car fails after the flight was booked: both are cancelled, newest first.
    const car = await testWorkflow(example('saga'), { tasks: { ...sagaTasks, bookCar: [fails('no cars', { type: 'NoCars' }), fails('no cars', { type: 'NoCars' }), fails('no cars', { type: 'NoCars' })] } }).run({
      trip: 't3',
      to: 'Lisbon',
    });
    expect(car.calls.map((c) => c.task)).toEqual(['bookHotel', 'bookFlight', 'bookCar', 'bookCar', 'bookCar', 'cancelFlight', 'cancelHotel']);
  });

  it('mixed: the Python task scripted, the Node ones real', async () => {
    const run = await testWorkflow(example('mixed'), { tasks: { ...mixedTasks, countWords: returns({ unit: 'words', count: 4 }) } }).run({ text: '  Durable   workflows in TWO languages ' });
    expect(run.result).toEqual({
      text: 'durable workflows in two languages',
      words: 4,
      letters: 30,
      headline: 'DURABLE WORKFLOWS IN TWO LANGUAGES (4 words, 30 letters)',
    });
  });

  // The race and quorum examples' tasks answer after real delays; here the same delays are
  // scripted on the test clock (`returns(v, { after })`), so which side wins is decided by test time.
  it('race: a quote in time wins; a late one loses to the 1s timer and the list price is used', async () => {
    const fast = await testWorkflow(example('race'), { tasks: { quote: returns(12.5, { after: '50ms' }), fallbackPrice: returns(15) } }).run({ supplier: 'acme', sku: 'sku-1' });
    expect(fast.result).toEqual({ price: 12.5, from: 'acme' });
    expect(fast.elapsedMs).toBe(50);

    const slow = await testWorkflow(example('race'), { tasks: { quote: returns(12.5, { after: '5s' }), fallbackPrice: returns(15) } }).run({ supplier: 'slow', sku: 'sku-1' });
    expect(slow.result).toEqual({ price: 15, from: 'list' });
    expect(slow.elapsedMs).toBe(1000);
    expect(slow.logs).toEqual(['slow did not answer within 1s; using the list price']);
  });

  it('quorum: three yes votes as they arrive decide; with too few answers the 3s deadline does', async () => {
    const yes = (ms: number) => returns(true, { after: ms });
    const no = (ms: number) => returns(false, { after: ms });
    const approved = await testWorkflow(example('quorum'), { tasks: { askApprover: [yes(300), no(50), yes(100), timesOut(), yes(200)] } }).run({
      request: 'r-1',
      approvers: ['yes-300', 'no-50', 'yes-100', 'away', 'yes-200'],
      needed: 3,
    });
    expect(approved.result).toEqual({ decision: 'approved', yes: 3, no: 1 });
    expect(approved.elapsedMs).toBe(300);

    const expired = await testWorkflow(example('quorum'), { tasks: { askApprover: [yes(100), timesOut(), no(50), timesOut(), timesOut()] } }).run({
      request: 'r-2',
      approvers: ['yes-100', 'away', 'no-50', 'away', 'away'],
      needed: 3,
    });
    expect(expired.result).toEqual({ decision: 'expired', yes: 1, no: 1 });
    expect(expired.elapsedMs).toBe(3000);
  });

  it('reservation: a cancel while waiting releases the reservation (compensation), then the run ends cancelled', async () => {
    const hold = testWorkflow(example('reservation'), { tasks: reservationTasks });
    const run = await hold.start({ item: 'chair' });
    expect(run.waitingFor).toEqual(['confirm']);
    await run.cancel('customer left');
    expect(run.status).toBe('cancelled');
    expect(run.calls.map((c) => [c.task, c.args])).toEqual([
      ['reserve', ['chair']],
      ['release', ['res-chair']],
    ]);

    const expired = await hold.run({ item: 'desk' });
    expect(expired.result).toEqual({ reservation: 'res-desk', status: 'expired' });
    expect(expired.elapsedMs).toBe(30_000);
  });
});
