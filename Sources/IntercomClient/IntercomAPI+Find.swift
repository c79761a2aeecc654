import Foundation
public import LeadModel
import NIOHTTP1

extension IntercomAPI {
    /// The contacts with this email, in the client's dialect: 1.x `GET /contacts?email=E`
    /// (a `contact.list`), 2.x `POST /contacts/search` on `email`. An email does not identify a
    /// lead for update, so several may come back; none is an empty list.
    ///
    /// - Parameter limit: The most 2.x's search returns (1.x answers one page of up to 50).
    public func find(email: String, limit: Int = 25) async throws(IntercomError) -> IntercomResponse<[Contact]> {
        switch dialect {
        case .v2:
            return try await search(field: "email", value: email, limit: limit)
        case .v1:
            let query = email.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? email
            let raw = try await send(method: .GET, path: "/contacts?email=" + query, body: nil)
            do {
                guard let object = try JSONText.parse(raw.body).objectValue, let items = object["contacts"]?.arrayValue else {
                    throw ContactDecodingError(reason: "expected a contact.list with contacts")
                }
                var contacts: [Contact] = []
                for item in items {
                    guard let fields = item.objectValue else { throw ContactDecodingError(reason: "a list item is not an object") }
                    contacts.append(try Contact(fields: fields))
                }
                return IntercomResponse(value: contacts, status: raw.status, rateLimit: raw.rateLimit, requestID: raw.requestID)
            } catch {
                throw IntercomError(kind: .invalidResponse, status: raw.status, requestID: raw.requestID, rateLimit: raw.rateLimit, detail: "\(error)")
            }
        }
    }
}
