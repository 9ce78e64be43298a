export { formatDate, type FormattedDate } from './format-date';
export { HttpErrorFilter } from './http-error.filter';
export { presentError, type ErrorPresentation } from './error-presentation';
export { logBugOrEndStarted } from './unanswerable';
