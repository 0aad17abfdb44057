// Starts the vendored Swagger UI on /api/docs (a static file, so no inline script is needed).
window.addEventListener("load", function () {
  var node = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: node.dataset.url, dom_id: "#swagger-ui", validatorUrl: null });
});
