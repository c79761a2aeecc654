import Foundation
import LeadModel

/// An error as Intercom reports it: a status and one entry of an `error.list` body.
struct IntercomError: Error, Sendable, Equatable {
    var status: Int
    var code: String
    var message: String
    var field: String?

    static let unauthorized = IntercomError(status: 401, code: "unauthorized", message: "Access Token Invalid")
    static let contactNotFound = IntercomError(status: 404, code: "not_found", message: "Contact Not Found")
    static let resourceNotFound = IntercomError(status: 404, code: "not_found", message: "Resource Not Found")

    static func badRequest(_ message: String) -> IntercomError {
        IntercomError(status: 400, code: "bad_request", message: message)
    }

    static func parameterInvalid(_ message: String, field: String) -> IntercomError {
        IntercomError(status: 400, code: "parameter_invalid", message: message, field: field)
    }

    static func rateLimitExceeded(_ limit: RateLimit) -> IntercomError {
        IntercomError(
            status: 429, code: "rate_limit_exceeded",
            message: "Exceeded rate limit of \(limit.limit) in \(limit.windowName)")
    }

    /// `{"type":"error.list","request_id":"…","errors":[{"code":…,"message":…,"field":…}]}`.
    var body: String {
        var entry = JSONObject()
        entry["code"] = .string(code)
        entry["message"] = .string(message)
        if let field { entry["field"] = .string(field) }
        var body = JSONObject()
        body["type"] = "error.list"
        body["request_id"] = .string(Self.makeRequestID())
        body["errors"] = .array([.object(entry)])
        return JSONText.serialize(.object(body))
    }

    /// A request id in Intercom's style: 20 lowercase letters and digits.
    static func makeRequestID() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<20).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self)
    }
}
