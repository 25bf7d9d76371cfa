// The contract between the operations shell (ops.ts) and its views.

/** What a view gets from the operations shell: where to draw and how to report. */
export interface OpsView {
  body: HTMLElement;
  fail(error: unknown): void;
  done(text: string): void;
  /** Whether `view` is the tab shown now. */
  shows(view: string): boolean;
}
