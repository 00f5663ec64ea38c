/**
 * The script that starts Swagger UI. It embeds no part of the OpenAPI document: the UI fetches the document from
 * `documentUrl`, resolved against the script's own URL (so it also works behind a path prefix).
 */
export function swaggerUiInitScript(documentUrl: string): string {
  return `(function () {
  var documentUrl = new URL(${JSON.stringify(documentUrl)}, document.currentScript.src).href;
  window.onload = function () {
    window.ui = SwaggerUIBundle({
      url: documentUrl,
      dom_id: '#swagger-ui',
      deepLinking: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      plugins: [SwaggerUIBundle.plugins.DownloadUrl],
      layout: 'StandaloneLayout',
    });
  };
})();
`;
}
