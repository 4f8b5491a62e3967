// njs filters for the /api/ locations (lsf-api-errors.conf): h2o, the HTTP
// library of lsf-server, answers a request head its parser cannot read
// (over 100 header fields, a control character in a header value) with a
// fixed "400 Bad Request" in text/plain that it writes straight to the
// socket, where no lsf-server code runs. nginx accepts such heads and
// forwards them. These filters replace exactly that answer, a 400 with a
// text/plain type and no X-Request-Id (every answer of lsf-server's own
// carries one, and its errors are JSON), with lsf-server's JSON error for a
// malformed request; all other answers, lsf-server's own 400s with their
// messages included, pass byte for byte.
const BODY = '{"success":false,"message":"Malformed request"}\n';

function isH2o400(r) {
    return r.status === 400 && /^text\/plain/i.test(r.headersOut['Content-Type'] || '') &&
        !r.headersOut['X-Request-Id'];
}

function header(r) {
    if (!isH2o400(r)) return;
    r.variables.lsf_h2o_400 = '1';
    r.headersOut['Content-Type'] = 'application/json'; // nginx keeps "; charset=utf-8"
    delete r.headersOut['Content-Length'];
}

function body(r, data, flags) {
    if (r.variables.lsf_h2o_400 !== '1') r.sendBuffer(data, flags);
    else if (flags.last) r.sendBuffer(BODY, flags);
}

export default { header, body };
