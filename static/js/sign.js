// The optional drawn signature: Signature Pad on a canvas, copied into a hidden field as a PNG data URL.
// Typing one's name is always enough; drawing is an addition for those who want it.
(function () {
  var canvas = document.getElementById("signature-canvas");
  if (!canvas || !window.SignaturePad) return;
  var field = document.getElementById("id_drawing");
  var pad = new SignaturePad(canvas, { penColor: "#0b2a4a", backgroundColor: "rgba(255,255,255,0)" });
  function resize() {
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var data = pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.fromData(data);
  }
  window.addEventListener("resize", resize);
  resize();
  pad.addEventListener("endStroke", function () { field.value = pad.isEmpty() ? "" : pad.toDataURL("image/png"); });
  document.getElementById("signature-clear").addEventListener("click", function () { pad.clear(); field.value = ""; });
})();
