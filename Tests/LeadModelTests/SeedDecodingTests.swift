import Foundation
import LeadModel
import Testing

/// The response body of the seed's "Update Lead" example, read from the seed file as published.
func seedResponseText() throws -> String {
    let url = Bundle.module.url(forResource: "seed-update-lead", withExtension: "txt", subdirectory: "Fixtures")!
    let raw = try String(contentsOf: url, encoding: .utf8)
    // The seed file stores the example with escaped newlines and quotes.
    let start = try #require(raw.range(of: "HTTP/1.1 200 OK"))
    let end = try #require(raw.range(of: "# contact response"))
    return String(raw[start.upperBound..<end.lowerBound])
        .replacingOccurrences(of: "\\n", with: "\n")
        .replacingOccurrences(of: "\\\"", with: "\"")
}

@Suite("Decoding the seed's lead")
struct SeedDecodingTests {
    @Test("every field of the seed response decodes with its type")
    func decodesEveryField() throws {
        let contact = try Contact(json: try seedResponseText())
        #expect(contact.type == "contact")
        #expect(contact.id == "5811f6bbe6b4704ddfa84ac0")
        #expect(contact.userID == "77177570-cf5d-4f1a-bc75-75202af47d4f")
        #expect(contact.anonymous == true)
        #expect(contact.email == "obrien@truth.org")
        #expect(contact.phone == "00353875551234")
        #expect(contact.name == "OBrien")
        #expect(contact.pseudonym == "Lime Camel from Dublin")
        #expect(contact.avatar?.type == "avatar")
        #expect(contact.avatar?.imageURL == nil)
        #expect(contact.appID == "ja43hiec")
        #expect(contact.companies?.type == "company.list")
        #expect(contact.companies?.items.isEmpty == true)
        #expect(contact.locationData?.cityName == "Mukilteo")
        #expect(contact.locationData?.continentCode == "NA")
        #expect(contact.locationData?.countryName == "United States")
        #expect(contact.locationData?.latitude == 47.913)
        #expect(contact.locationData?.longitude == -122.3042)
        #expect(contact.locationData?.postalCode == "98275")
        #expect(contact.locationData?.regionName == "Washington")
        #expect(contact.locationData?.timezone == "America/Los_Angeles")
        #expect(contact.locationData?.countryCode == "USA")
        #expect(contact.lastRequestAt == 1_477_660_267)
        #expect(contact.fields["last_seen_ip"] == .null)
        #expect(contact.createdAt == 1_477_572_283)
        #expect(contact.fields["remote_created_at"] == .null)
        #expect(contact.fields["signed_up_at"] == .null)
        #expect(contact.updatedAt == 1_480_068_674)
        #expect(contact.sessionCount == 0)
        #expect(contact.socialProfiles?.type == "social_profile.list")
        #expect(contact.unsubscribedFromEmails == false)
        #expect(contact.userAgentData == "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.9")
        #expect(contact.tags?.type == "tag.list")
        #expect(contact.segments?.type == "segment.list")
        #expect(contact.customAttributes["paid_subscriber"] == .bool(true))
        #expect(contact.customAttributes["monthly_spend"] == .double(155.5))
        #expect(contact.customAttributes["team_mates"] == .integer(9))
        #expect(contact.unknownFields.isEmpty)
    }

    @Test("fields keep Intercom's order and re-encode to the same document")
    func roundTrips() throws {
        let text = try seedResponseText()
        let contact = try Contact(json: text)
        #expect(contact.fields.keys.first == "type")
        #expect(contact.fields.keys.last == "custom_attributes")
        // The compact form is the seed's text with only the whitespace between tokens removed.
        #expect(contact.json == minified(text))
        #expect(try Contact(json: contact.json) == contact)
    }

    @Test("unknown fields are kept, not dropped")
    func keepsUnknownFields() throws {
        let contact = try Contact(json: #"{"type":"contact","id":"abc","brand_new_field":{"x":1},"name":"N"}"#)
        #expect(contact.unknownFields["brand_new_field"] == .object(JSONObject([("x", .integer(1))])))
        #expect(contact.json.contains("brand_new_field"))
    }

    @Test("a document that is not a contact is refused clearly")
    func refusesNonContacts() {
        #expect(throws: ContactDecodingError.self) { try Contact(json: "[1,2]") }
        #expect(throws: ContactDecodingError.self) { try Contact(json: #"{"type":"admin","id":"1"}"#) }
        #expect(throws: ContactDecodingError.self) { try Contact(json: #"{"type":"contact"}"#) }
        #expect(throws: ContactDecodingError.self) { try Contact(json: "<html>") }
    }
}

@Suite("JSON values")
struct JSONValueTests {
    @Test("integers and decimals stay distinct")
    func integersAndDecimals() throws {
        #expect(try JSONText.parse("9") == .integer(9))
        #expect(try JSONText.parse("9.0") == .double(9))
        #expect(try JSONText.parse("9.0") != JSONText.parse("9"))
        #expect(try JSONText.parse("1e3") == .double(1000))
        #expect(JSONText.serialize(.double(9)) == "9.0")
        #expect(JSONText.serialize(.integer(9)) == "9")
        #expect(JSONText.serialize(.double(155.5)) == "155.5")
        #expect(try JSONText.parse(JSONText.serialize(.double(0.1))) == .double(0.1))
        #expect(try JSONText.parse("-9223372036854775808") == .integer(Int64.min))
        // Too large for Int64: kept as a decimal rather than failing.
        #expect(try JSONText.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
    }

    @Test("strings escape and unescape")
    func strings() throws {
        let tricky = "O'Brien \"quoted\" \\ back\nline\ttab \u{1} é 😀"
        let text = JSONText.serialize(.string(tricky))
        #expect(try JSONText.parse(text) == .string(tricky))
        #expect(try JSONText.parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test("serialized strings escape exactly quotes, backslashes, control characters, DEL and U+2028/U+2029")
    func escapes() throws {
        let cases: [(String, String)] = [
            ("plain words, é and 😀", #""plain words, é and 😀""#),
            ("a\"b", #""a\"b""#),
            ("a\\b", #""a\\b""#),
            ("tab\tnew\nline", #""tab\tnew\nline""#),
            ("bell\u{7}del\u{7F}", #""bell\u0007del\u007f""#),
            ("sep\u{2028}para\u{2029}", #""sep\u2028para\u2029""#),
            ("near \u{2027} and \u{2030}", "\"near \u{2027} and \u{2030}\""),
        ]
        for (string, expected) in cases {
            #expect(JSONText.serialize(.string(string)) == expected)
            #expect(try JSONText.parse(expected) == .string(string))
        }
    }

    @Test("malformed documents are refused with the offset")
    func malformed() {
        for bad in ["", "{", "[1,]", #"{"a" 1}"#, "tru", "01x", "007", "-01", "1.", ".5", "+1", #""unterminated"#, "1 2", "NaN", "{\"a\":1}}"] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONText.parse(bad) }
        }
    }

    @Test("deep nesting is refused, not a stack overflow")
    func deepNesting() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONText.parse(deep) }
    }
}

/// JSON text without the whitespace between tokens (whitespace inside strings kept).
func minified(_ text: String) -> String {
    var out = ""
    var inString = false
    var escaped = false
    for character in text {
        if inString {
            out.append(character)
            if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
        } else if character == "\"" {
            inString = true
            out.append(character)
        } else if !character.isWhitespace {
            out.append(character)
        }
    }
    return out
}
