import axios, { AxiosError, type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { type Dispatcher, request } from 'undici';

/** The codings fetch decodes, with Node's own decoders. */
const DECODERS: Readonly<Partial<Record<string, () => NodeJS.ReadWriteStream>>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** axios' adapter for WebexModule's HttpService, with the undici pool it sends on (closed at shutdown). */
export interface UndiciAdapter extends AxiosAdapter {
  readonly dispatcher: Dispatcher;
}

/**
 * axios' documented extension point (`adapter`) on undici's `request()`, the lean API of the pool
 * (`webexDispatcher`) that already does the transport: proxies, connect timeout, keep-alive,
 * decoding, size caps. Measured in bench/RESULTS.md: axios' own fetch adapter on the same pool
 * cost ~400 µs more CPU per call, spent on WHATWG Request/Response/stream objects that this
 * service never uses.
 *
 * What axios' config asks of an adapter, and where it is done:
 * - `timeout`: one deadline for the whole exchange, to the last byte of the body (an AbortSignal
 *   undici also applies to the body); it fails as axios' ETIMEDOUT, as axios' own adapters do;
 * - `maxContentLength`: an answer that declares more is refused before its body is read; one that
 *   streams more (or decodes to more: one that comes compressed anyway is decoded) is cut;
 * - redirects are never followed (undici's `request()` does not), so a token never leaves Webex;
 * - a network failure is axios' ERR_NETWORK with undici's error as its `cause`.
 */
export function undiciAdapter(dispatcher: Dispatcher): UndiciAdapter {
  // axios' own URL building (baseURL, params, paramsSerializer) on an instance without defaults:
  // `config` is merged already, and merging it again with axios' defaults (`axios.getUri`) was
  // ~18 µs per call, a third of the adapter's CPU (a micro-benchmark since retired; see bench/'s git history).
  const urls = new axios.Axios({});
  const adapter = async (config: InternalAxiosRequestConfig) => {
    // A timer cleared when the exchange ends. AbortSignal.timeout() keeps its timer for the whole
    // budget (10 s by default) after the call is done, some 20,000 live timers at 2,000 calls/s:
    // 5.3 against 2.0 µs a call, measured alone.
    const deadline = config.timeout ? new AbortController() : undefined;
    const timer = deadline ? setTimeout(() => deadline.abort(), config.timeout) : undefined;
    const signal =
      deadline && config.signal
        ? AbortSignal.any([deadline.signal, config.signal as AbortSignal])
        : (deadline?.signal ?? config.signal);
    try {
      const { baseURL, url, paramsSerializer, allowAbsoluteUrls } = config;
      const uri = urls.getUri({ baseURL, url, params: config.params as unknown, paramsSerializer, allowAbsoluteUrls });
      const answer = await request(uri, {
        dispatcher,
        method: (config.method ?? 'get').toUpperCase(),
        // axios hands every adapter its headers as AxiosHeaders already.
        headers: config.headers.toJSON(true),
        body: (config.data as string | Buffer | undefined) ?? null,
        signal: signal as AbortSignal | undefined,
      });
      // undici's header names are lower case; axios makes the answer's headers AxiosHeaders itself.
      const headers = answer.headers;
      const cap =
        config.maxContentLength !== undefined && config.maxContentLength > -1 ? config.maxContentLength : Infinity;
      const tooLarge = () =>
        new AxiosError(`maxContentLength size of ${cap} exceeded`, AxiosError.ERR_BAD_RESPONSE, config);
      if (Number(headers['content-length']) > cap) {
        answer.body.destroy();
        throw tooLarge();
      }
      const coding = String(headers['content-encoding'] ?? '')
        .trim()
        .toLowerCase();
      const decoder = DECODERS[coding];
      const body = decoder ? (answer.body.pipe(decoder()) as unknown as Readable) : answer.body;
      if (decoder) answer.body.once('error', (error) => body.destroy(error));
      // Listeners rather than `for await`: the async iterator's promise per chunk was ~7 % of a
      // /listrooms page's CPU (bench/ab.ts against this same code with the iterator).
      const data = await new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        body.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > cap) {
            body.destroy();
            answer.body.destroy();
            reject(tooLarge());
            return;
          }
          chunks.push(chunk);
        });
        body.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        body.once('error', reject);
        // A body that closes without its end (and without an error) came short.
        body.once('close', () => {
          if (!body.readableEnded) reject(new Error('the answer ended before its body did'));
        });
      });
      return {
        data,
        status: answer.statusCode,
        statusText: '',
        headers,
        config,
      };
    } catch (error) {
      if (error instanceof AxiosError) throw error;
      if (deadline?.signal.aborted)
        throw new AxiosError(`timeout of ${config.timeout}ms exceeded`, 'ETIMEDOUT', config);
      throw Object.assign(new AxiosError('Network Error', AxiosError.ERR_NETWORK, config), { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };
  return Object.assign(adapter, { dispatcher });
}
