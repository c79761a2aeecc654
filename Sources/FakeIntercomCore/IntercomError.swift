import Foundation
import LeadModel

/// An error as Intercom reports it: a status and one entry of an `error.list` body.
struct IntercomError: Error, Sendable, Equatable {
    var status: Int
    var code: String
    var message: String
    var field: String?
    /// A `Link` header to send with the error, as `contact_merged` does.
    var link: String? = nil

    static let unauthorized = IntercomError(status: 401, code: "unauthorized", message: "Access Token Invalid")
    static let contactNotFound = IntercomError(status: 404, code: "not_found", message: "Contact Not Found")
    static let resourceNotFound = IntercomError(status: 404, code: "not_found", message: "Resource Not Found")
    /// What the 2.14 description answers for an unknown contact on its tag, note and `POST /tags`
    /// calls, and the 1.x reference for an unknown user or lead.
    static let userNotFound = IntercomError(status: 404, code: "not_found", message: "User Not Found")

    /// A required body or query parameter is missing.
    static func parameterNotFound(_ name: String) -> IntercomError {
        IntercomError(status: 400, code: "parameter_not_found", message: "\(name) parameter not found", field: name)
    }

    static func badRequest(_ message: String) -> IntercomError {
        IntercomError(status: 400, code: "bad_request", message: message)
    }

    static func parameterInvalid(_ message: String, field: String) -> IntercomError {
        IntercomError(status: 400, code: "parameter_invalid", message: message, field: field)
    }

    /// An `Intercom-Version` the API does not know.
    static let versionUnknown = IntercomError(
        status: 400, code: "intercom_version_invalid", message: "The requested version could not be found")

    /// A known version this workspace no longer accepts (1.x when ``FakeIntercomConfiguration/acceptsV1`` is false).
    static func versionRefused(_ version: String) -> IntercomError {
        IntercomError(
            status: 400, code: "intercom_version_invalid", message: "The requested version (\(version)) is not valid")
    }

    /// 2.16 and later: the contact was merged into `targetID`; `Link` names the canonical contact.
    static func contactMerged(into targetID: String) -> IntercomError {
        IntercomError(
            status: 410, code: "contact_merged",
            message: "This contact has been merged. See the 'Link' header for the canonical contact.",
            link: "</contacts/\(targetID)>; rel=\"canonical\"")
    }

    /// `409 conflict`: another contact already has the email or external id.
    static func conflict(with id: String) -> IntercomError {
        IntercomError(
            status: 409, code: "conflict", message: "A contact matching those details already exists with id=\(id)")
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
