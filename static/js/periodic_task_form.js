// django-celery-beat's periodic task form in the Django admin (templates/admin/djcelery/change_periodictask_form.html):
// under the crontab field, the schedule in words. The package's inline script, as a file for the
// Content-Security-Policy, and writing text rather than HTML.
(function ($) {
  var script = document.getElementById("periodic-task-overrides");
  var readable = JSON.parse(document.getElementById("readable-crontabs").textContent);
  var originalHelp = script.dataset.crontabHelp || "";
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    var help = $(".field-crontab .help");
    help.text(originalHelp);
    help.append(document.createElement("br"), document.createTextNode("Translation: " + readable[$("#id_crontab").val()]));
  });
})(django.jQuery);
