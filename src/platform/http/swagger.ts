import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { QUERY_SCHEMAS } from './dto/api-query-schemas';
import { BEARER_SCHEME } from './require-scope';
import { ErrorResponse } from './error-response';
import { swaggerUiInitScript } from './swagger-ui-init';

const UI_PATH = 'docs';
const JSON_PATH = 'docs-json';

/** Builds the OpenAPI document from the code; the same document is committed as openapi/openapi.json. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Willow')
    .setDescription(
      'Message queue with collapsible items, tagged channels, a limiter and a locker. Errors are `{Message, Code}`; ' +
        'durations are milliseconds or strings with a unit ("500ms", "30s", "5m", "1h", "2d").',
    )
    .setVersion('0.1.0')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'wk_…',
        description: 'An API key (`WILLOW_ADMIN_KEY`, or one from POST /v1/auth/keys) as `Authorization: Bearer <key>`.',
      },
      BEARER_SCHEME,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ErrorResponse],
    operationIdFactory: (controllerKey: string, methodKey: string) =>
      `${controllerKey.replace(/Controller$/, '').replace(/^./, (c) => c.toLowerCase())}_${methodKey}`,
  });
  const components = (document.components ??= {});
  components.schemas = { ...components.schemas, ...QUERY_SCHEMAS };
  return document;
}

/**
 * Serves Swagger UI at /docs and the document at /docs-json (also with NODE_ENV=production).
 *
 * @nestjs/swagger splices the document into `swagger-ui-init.js` with `String.replace`, so a description holding
 * `$'` or `$&` corrupts the script and the page stays blank. Our own init script, registered first so it wins,
 * holds no document text at all: the UI fetches the document from /docs-json, so no description can break it.
 */
export function mountSwagger(app: INestApplication, document: OpenAPIObject): void {
  const http = app.getHttpAdapter();
  // The HTML asks for the script under /docs/ or, when the page is /docs/index.html, under /docs/docs/.
  for (const [scriptPath, documentUrl] of [
    [`/${UI_PATH}/swagger-ui-init.js`, `../${JSON_PATH}`],
    [`/${UI_PATH}/${UI_PATH}/swagger-ui-init.js`, `../../${JSON_PATH}`],
  ] as const) {
    const script = swaggerUiInitScript(documentUrl);
    http.get(scriptPath, (_req: Request, res: Response) => {
      res.type('application/javascript').send(script);
    });
  }
  SwaggerModule.setup(UI_PATH, app, document, { jsonDocumentUrl: JSON_PATH, yamlDocumentUrl: 'docs-yaml' });
}
