/** cookie-signature (a dependency of express-session) ships no types; the two functions the suites use. */
declare module 'cookie-signature' {
  export function sign(value: string, secret: string): string;
  export function unsign(input: string, secret: string): string | false;
}
