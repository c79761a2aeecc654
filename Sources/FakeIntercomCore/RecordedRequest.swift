import Foundation
import LeadModel

/// One request as the fake received it, rejected ones included.
public struct RecordedRequest: Sendable {
    /// `GET`, `POST`, ...
    public var method: String
    /// The path without the query, as sent (`/contacts/5811f6bbe6b4704ddfa84ac0`).
    public var path: String
    /// The query as sent, without `?`, or nil when there is none.
    public var rawQuery: String?
    /// The query's items, percent-decoded (`+` reads as a space), in order.
    public var query: [(name: String, value: String)]
    /// The header fields in the order and spelling they arrived, except that `Host` comes first.
    public var headers: [(name: String, value: String)]
    /// The body bytes.
    public var body: [UInt8]
    /// The body parsed as JSON, or nil when it is empty or not JSON.
    public var bodyJSON: JSONValue?
    /// When the request arrived (its body read).
    public var receivedAt: Date

    public init(
        method: String,
        path: String,
        rawQuery: String? = nil,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        receivedAt: Date = Date()
    ) {
        self.method = method
        self.path = path
        self.rawQuery = rawQuery
        self.query = rawQuery.map(Self.parseQuery) ?? []
        self.headers = headers
        self.body = body
        self.bodyJSON = body.isEmpty ? nil : try? JSONText.parse(body)
        self.receivedAt = receivedAt
    }

    /// The value of the first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    /// The value of the first query item with this name.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    static func parseQuery(_ query: String) -> [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(parts[0], plusIsSpace: true)
            let value = parts.count > 1 ? percentDecode(parts[1], plusIsSpace: true) : ""
            return (name, value)
        }
    }

    /// Percent-decodes a path or query component; malformed escapes stay as they are.
    static func percentDecode(_ text: Substring, plusIsSpace: Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if plusIsSpace, byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < utf8.count,
                let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 2
            } else {
                bytes.append(byte)
            }
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
