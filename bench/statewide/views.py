"""The bare Django page that every page of the benchmark is compared with: N rows of about the size of a posted
agreement's row (district, vendor, dates, the start of Exhibit B's purposes) from one simple query, rendered by a
plain template, through the same middleware. What a page costs beyond this is the page's own work. run.measure asks
for as many rows as make the page's own size in bytes, and for as many rows as the page lists."""

from django.http import HttpResponse
from django.template import engines

TEMPLATE = engines["django"].from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bare page</title></head><body>
<h1>{{ rows|length }} agreements</h1><table>
{% for r in rows %}<tr><td>{{ r.0 }}</td><td>{{ r.1 }}</td><td>{{ r.2 }}</td><td>{{ r.3 }}</td><td>{{ r.4 }}</td>
<td>{{ r.5 }}</td></tr>
{% endfor %}</table></body></html>"""
)

QUERY = """
SELECT a.id, ag.name, c.legal_name, a.status, a.contract_end, left(b.purposes, 300)
FROM agreements_agreement a
JOIN agreements_educationalagency ag ON ag.id = a.agency_id
JOIN vendors_contractor c ON c.id = a.contractor_id
JOIN exhibits_supplementalinformation b ON b.agreement_id = a.id
ORDER BY a.id LIMIT %s
"""


def bare(request):
    from django.db import connection

    size = max(1, min(int(request.GET.get("size") or 50), 20_000))
    with connection.cursor() as cursor:
        cursor.execute(QUERY, [size])
        rows = cursor.fetchall()
    return HttpResponse(TEMPLATE.render({"rows": rows}, request))
