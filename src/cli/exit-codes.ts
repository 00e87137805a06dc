/**
 * Exit codes of `hero-supervisor`, documented in src/daemon/README.md and `--help`. Scripts can tell "fix your config"
 * from "start the daemon" from "give the token".
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** Something failed at run time (the daemon reported an error, a worker could not start...). */
  runtimeError: 1,
  /** Bad command line or bad config file: nothing was started. */
  usage: 2,
  /** The daemon's admin endpoint cannot be reached. */
  daemonUnreachable: 3,
  /** The daemon refused the token. */
  unauthorized: 4,
  /** No such worker or script type. */
  notFound: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  runtime error
  2  usage or config error (nothing was started)
  3  daemon unreachable
  4  unauthorized (missing or wrong admin token)
  5  not found (unknown worker or script type)`;
