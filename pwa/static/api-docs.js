// Starts the vendored Swagger UI on /schema with the settings the page carries.
(() => {
  const root = document.getElementById("api-docs");
  const { openapiUrl, csrfCookie, csrfHeader } = root.dataset;
  const cookie = (name) => document.cookie.split("; ").find((row) => row.startsWith(`${name}=`))?.split("=")[1];
  window.SwaggerUIBundle({
    url: openapiUrl,
    domNode: root,
    deepLinking: true,
    // Groups start folded: over 130 operations at once is a wall to scroll through (and
    // Swagger UI 5.35 stops rendering part way through that many).
    docExpansion: "none",
    // "Try it out" from a signed-in browser sends the CSRF token like the app does.
    requestInterceptor: (request) => {
      const token = cookie(csrfCookie);
      if (token) request.headers[csrfHeader] = decodeURIComponent(token);
      return request;
    },
  });
})();
