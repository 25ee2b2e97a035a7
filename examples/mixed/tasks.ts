/**
 * Node tasks for examples/mixed (the Python half, `countWords`, is in tasks.py).
 *
 *   await normalize('  Hello   World ')     // => 'hello world'
 *   await countLetters('hello world')        // => { unit: 'letters', count: 10 }
 *   await headline('hello world', 2, 10)     // => 'HELLO WORLD (2 words, 10 letters)'
 */
export async function normalize(text: string) {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

export async function countLetters(text: string) {
  return { unit: 'letters', count: [...text].filter((c) => /\p{L}/u.test(c)).length };
}

export async function headline(text: string, words: number, letters: number) {
  return `${text.toUpperCase()} (${words} words, ${letters} letters)`;
}
