export { formatDate, type FormattedDate } from './format-date';
export { Page, PageInterceptor, pageLocals, type PageLocals } from './page';
export { HttpErrorFilter } from './http-error.filter';
export { presentError, type ErrorPresentation } from './error-presentation';
