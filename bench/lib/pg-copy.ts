/**
 * `COPY ... FROM STDIN` over a pg client, without another dependency: a submittable query that answers
 * the server's CopyInResponse with the given chunks. The fastest way rows get into PostgreSQL, so it is the
 * baseline the result writer is held against.
 */
import type pg from 'pg';

/** The slice of pg's internal Connection a submittable uses. */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

class CopyFromStdin {
  callback: ((error: Error | null, rowCount: number) => void) | undefined;
  private error: Error | null = null;
  private rowCount = 0;

  constructor(
    private readonly text: string,
    private readonly chunks: readonly Buffer[],
  ) {}

  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    for (const chunk of this.chunks) connection.sendCopyFromChunk(chunk);
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text: string }): void {
    this.rowCount = Number(/COPY (\d+)/.exec(message.text)?.[1] ?? 0);
  }

  handleError(error: Error): void {
    this.error = error;
  }

  handleReadyForQuery(): void {
    this.callback?.(this.error, this.rowCount);
  }

  // A COPY FROM returns no rows; pg may still call these on odd replies.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
}

/** Runs `copyStatement` (a COPY ... FROM STDIN) with `data` as its input; resolves with the rows copied. */
export function copyFrom(
  client: pg.PoolClient | pg.Client,
  copyStatement: string,
  data: readonly Buffer[],
): Promise<number> {
  return new Promise((resolve, reject) => {
    const copy = new CopyFromStdin(copyStatement, data);
    copy.callback = (error, rowCount) => (error ? reject(error) : resolve(rowCount));
    (client as unknown as { query(submittable: unknown): void }).query(copy);
  });
}
