export async function runTests(_args: string[]): Promise<number> {
  return 0;
}
