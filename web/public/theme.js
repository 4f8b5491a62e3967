// Chooses the colour theme before the first paint, so a dark-mode user never
// sees a flash of the light page. It is loaded by index.html's <head> ahead of
// the stylesheet and the app (an external file: the server's CSP allows no
// inline script). The choice: the one saved by the app's theme toggle
// (localStorage "lsf-theme"), else the system's prefers-color-scheme.
(function () {
  var theme = null;
  try {
    theme = window.localStorage.getItem('lsf-theme');
  } catch (e) {
    /* storage blocked: follow the system */
  }
  if (theme !== 'light' && theme !== 'dark') {
    theme = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }
  document.documentElement.setAttribute('data-theme', theme);
})();
