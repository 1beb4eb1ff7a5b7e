// Draws each chart of the page from its Vega-Lite spec (the JSON beside it) as inline SVG, with the
// Vega bundle inlined before this script: nothing is fetched. Charts are drawn in page order, a
// few at a time, handing the browser back between batches so the page stays responsive. When all
// are done <html data-charts> says "drawn" (or "failed", with the error in the console).
(function () {
  "use strict";
  var root = document.documentElement;
  var figures = Array.prototype.slice.call(document.querySelectorAll("figure.chart"));
  var next = 0;
  var failed = 0;
  var BATCH = 6;
  // A message to ourselves hands control back to the browser without the long waits that
  // timers get in a background tab.
  var channel = new MessageChannel();
  channel.port1.onmessage = function () { batch(); };

  function draw(figure) {
    // Vega gives the element it draws in a role and a label of its own: it draws inside an element
    // hidden from assistive technology, in the figure's role="img" named by the text alternative.
    var holder = figure.querySelector(".drawing");
    var drawn;
    try {
      var spec = JSON.parse(figure.querySelector("script.chart-spec").textContent);
      drawn = vegaEmbed(holder, spec, {
        renderer: "svg", actions: false, defaultStyle: false, mode: "vega-lite",
        // Errors only (Vega's level 1): an empty layer (no provisional month, no lettered point) is
        // expected and not worth a warning.
        logLevel: 1
      });
    } catch (error) {
      drawn = Promise.reject(error);
    }
    return drawn
      .then(function () {
        holder.querySelector("svg").setAttribute("focusable", "false");
      })
      .catch(function (error) {
        failed += 1;
        holder.textContent = "This chart could not be drawn: its description and numbers are below.";
        console.error("Flight deck chart " + figure.id + " was not drawn: " + error);
      });
  }

  function batch() {
    var drawing = figures.slice(next, next + BATCH).map(draw);
    next += BATCH;
    Promise.all(drawing).then(function () {
      if (next < figures.length) {
        channel.port2.postMessage(null);
      } else {
        root.setAttribute("data-charts", failed ? "failed" : "drawn");
      }
    });
  }

  root.setAttribute("data-charts", "drawing");
  batch();
})();
