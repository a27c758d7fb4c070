/**
 * Errors of unreadable requests (found by the bad-input fuzzer, chaos
 * scenario 7): a body that does not inflate as its Content-Encoding says
 * was a 500, and a request Node cannot parse got a bare status line.
 */
import { Errors } from "moleculer";
import { bodyParserError, httpParseError, toPublicError } from "../../platform/public-error";

/** What body-parser (http-errors) hands on for a gzip body that is not gzip: a 400 with zlib's code and no type. */
function zlibError(): Error {
  return Object.assign(new Error("incorrect header check"), { code: "Z_DATA_ERROR", errno: -3, status: 400, statusCode: 400, expose: true });
}

describe("errors of the body parser", () => {
  it("make a body that does not inflate a 400, not a 500", () => {
    expect(bodyParserError(zlibError())).toEqual({ name: "BadRequestError", message: "Unreadable request body", code: 400, type: "INVALID_BODY" });
    const brotli = Object.assign(new Error("Decompression failed"), { code: "ERR__ERROR_FORMAT_PADDING_2", status: 400, expose: true });
    expect(bodyParserError(brotli)).toMatchObject({ code: 400, type: "INVALID_BODY" });
  });

  it("keep the status of the typed ones", () => {
    expect(bodyParserError({ status: 413, type: "entity.too.large", expose: true })).toMatchObject({ code: 413, type: "PAYLOAD_TOO_LARGE" });
    expect(bodyParserError({ status: 400, type: "entity.parse.failed", expose: true })).toMatchObject({ code: 400, type: "INVALID_JSON" });
    expect(bodyParserError({ status: 415, type: "encoding.unsupported", expose: true })).toMatchObject({ code: 415, type: "INVALID_BODY" });
    expect(bodyParserError({ status: 400, type: "request.aborted", expose: true })).toMatchObject({ code: 400, type: "INVALID_BODY" });
  });

  it("are nothing else: a service's client error, an unexpected error, the parser's own 5xx", () => {
    expect(bodyParserError(new Errors.MoleculerClientError("sku already exists", 409, "CONFLICT"))).toBeNull();
    expect(bodyParserError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBeNull();
    const notReadable = { status: 500, type: "stream.not.readable", expose: false, message: "stream is not readable" };
    expect(bodyParserError(notReadable)).toBeNull();
    expect(toPublicError(notReadable)).toMatchObject({ code: 500, type: "INTERNAL_ERROR" });
  });
});

describe("requests Node cannot parse", () => {
  it("get docs/api.md's error shape with the status Node would give", () => {
    expect(httpParseError("HPE_HEADER_OVERFLOW")).toEqual({ name: "RequestHeaderFieldsTooLargeError", message: "The request line or headers are too large", code: 431, type: "HEADERS_TOO_LARGE" });
    expect(httpParseError("HPE_INVALID_HEADER_TOKEN")).toMatchObject({ code: 400, type: "BAD_REQUEST" });
    expect(httpParseError("HPE_CHUNK_EXTENSIONS_OVERFLOW")).toMatchObject({ code: 413 });
    expect(httpParseError("ERR_HTTP_REQUEST_TIMEOUT")).toMatchObject({ code: 408 });
    expect(httpParseError(undefined)).toMatchObject({ code: 400 });
  });
});
