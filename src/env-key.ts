/** Environment variable names as POSIX shells accept them: letters, digits and `_`, no leading digit, no `=` or NUL. */
export const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
