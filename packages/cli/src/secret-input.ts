// Reading a password: from standard input when asked or when it is not a terminal, otherwise
// from the terminal without echo.
import { createInterface } from "node:readline/promises";

export async function readSecret(prompt: string, fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Echo the prompt, never the keystrokes.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => { if (s.includes(prompt)) process.stderr.write(prompt); };
  const answer = await rl.question(prompt);
  rl.close();
  process.stderr.write("\n");
  return answer;
}
