import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express } from 'express';
import { IncomingMessage, ServerResponse, createServer, type Server } from 'node:http';

/** The classes Node builds each request and response from (`http.createServer` options). */
export interface MessageClasses {
  readonly IncomingMessage: typeof IncomingMessage;
  readonly ServerResponse: typeof ServerResponse;
}

/**
 * Gives `app` request and response prototypes that are the prototypes of classes Node can build, and returns those
 * classes. Express hands every request and response its app's prototypes (`Object.setPrototypeOf(req, app.request)`).
 * On an object Node built as a plain IncomingMessage, that swap leaves V8 a hidden class outside its shared tree, so
 * each property Express, Nest and Willow then add (`req.params`, `req.body`, `res.statusCode`...) makes a new hidden
 * class for that one request: each site that reads or writes a request or response misses V8's inline caches once
 * per request and takes the slow path, about a third of the instructions of a small request. Built from these
 * classes, a request already has the app's prototype, Express's swap changes nothing, and requests share their hidden
 * classes.
 */
export function ownMessageClasses(app: Express): MessageClasses {
  class WillowIncomingMessage extends IncomingMessage {}
  class WillowServerResponse<Req extends IncomingMessage = IncomingMessage> extends ServerResponse<Req> {}
  adopt(WillowIncomingMessage.prototype, app.request);
  adopt(WillowServerResponse.prototype, app.response);
  app.request = WillowIncomingMessage.prototype as unknown as Express['request'];
  app.response = WillowServerResponse.prototype as unknown as Express['response'];
  return { IncomingMessage: WillowIncomingMessage, ServerResponse: WillowServerResponse };
}

/** Makes `target` stand in for `prototype`: the same prototype and its own properties (Express's `app`), besides
 * the `constructor` of `target`'s class. */
function adopt(target: object, prototype: object): void {
  Object.setPrototypeOf(target, Object.getPrototypeOf(prototype));
  for (const key of Reflect.ownKeys(prototype)) {
    Object.defineProperty(target, key, Object.getOwnPropertyDescriptor(prototype, key) as PropertyDescriptor);
  }
}

/**
 * Nest's Express adapter with its HTTP server built on `ownMessageClasses`. With `forceCloseConnections`, closing
 * destroys the open connections first, as Nest's adapter does, with Node's `closeAllConnections` (which, unlike Nest's
 * own list, leaves sockets handed to an `upgrade` or `connect` listener: Willow has none). HTTPS (never used by
 * Willow) is left to Nest's adapter. The plain HTTP server is built here instead of in Nest's `initHttpServer`, so a
 * later Nest that does more there must be followed here.
 */
export class WillowExpressAdapter extends ExpressAdapter {
  private forceClose = false;

  override initHttpServer(options?: NestApplicationOptions): void {
    if (options?.httpsOptions) return super.initHttpServer(options);
    const app = this.getInstance<Express>();
    this.httpServer = createServer(ownMessageClasses(app), app);
    this.forceClose = Boolean(options?.forceCloseConnections);
  }

  override close(): Promise<unknown> | undefined {
    if (this.forceClose) (this.httpServer as Server | undefined)?.closeAllConnections();
    return super.close();
  }
}
