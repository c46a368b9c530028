// The one error type our own routes throw: a stable machine-readable `code`, an HTTP `status`, and
// whether the message may be shown to the caller (`expose`). Anything else is an unexpected 500.
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;

  constructor(code: string, message: string, status = 400, expose = status < 500) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.expose = expose;
  }
}
