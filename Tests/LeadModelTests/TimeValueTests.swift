import Foundation
import LeadModel
import Testing

@Suite("Time values")
struct TimeValueTests {
    let now: Int64 = 1_800_000_000

    @Test("ISO 8601 dates and times, Unix seconds and now all become Unix seconds")
    func acceptedForms() throws {
        let cases: [(String, Int64)] = [
            ("1764583200", 1_764_583_200),
            ("0", 0),
            ("now", now),
            ("2026-12-01", 1_796_083_200),
            ("2026-12-01T10:00:00Z", 1_796_119_200),
            ("2026-12-01T10:00Z", 1_796_119_200),
            ("2026-12-01 10:00:00Z", 1_796_119_200),
            ("2026-12-01t10:00:00z", 1_796_119_200),
            ("2026-12-01T10:00:00+02:00", 1_796_112_000),
            ("2026-12-01T10:00:00+0200", 1_796_112_000),
            ("2026-12-01T10:00:00+02", 1_796_112_000),
            ("2026-12-01T08:00:00-02:00", 1_796_119_200),
            ("2026-12-01T10:00:00.999Z", 1_796_119_200),
            ("2024-02-29T23:59:59Z", 1_709_251_199),
            ("2000-03-01", 951_868_800),
            ("1970-01-01T00:00:00Z", 0),
        ]
        for (text, expected) in cases {
            #expect(try TimeValue.parse(text, now: now) == expected, "\(text)")
        }
    }

    @Test("bad times are refused with the accepted forms or the precise reason")
    func refusals() {
        func message(_ text: String) -> String {
            do {
                _ = try TimeValue.parse(text, now: now)
                return "accepted"
            } catch {
                return error.description
            }
        }
        for text in ["yesterday", "", "1.5", "-5", "12/01/2026", "2026-12-01T10", "2026-12-01X10:00Z", "Now"] {
            let text = message(text)
            #expect(
                text.contains(
                    "is not a time: use Unix seconds (1764583200), an ISO 8601 date or time (2026-12-01, 2026-12-01T10:00:00Z, 2026-12-01T10:00:00+02:00), or now"
                ), "\(text)")
        }
        #expect(
            message("2026-12-01T10:00:00") == #""2026-12-01T10:00:00" is not a usable time: it has no time zone; add Z for UTC or an offset such as +02:00"#)
        #expect(message("2026-02-30") == #""2026-02-30" is not a usable time: 2026-02 has no day 30"#)
        #expect(message("2025-02-29").contains("has no day 29"))
        #expect(message("2026-13-01").contains("there is no month 13"))
        #expect(message("2026-12-01T24:00:00Z").contains("is not a time of day"))
        #expect(message("1969-12-31").contains("before 1970"))
        #expect(message("1970-01-01T00:30:00+01:00").contains("before 1970"))
        #expect(message("99999999999999999999").contains("too large"))
        #expect(message("2026-12-01T10:00:00+24:00").contains("offset is out of range"))
    }

    @Test("display shows the number with its UTC date beside it")
    func display() {
        #expect(TimeValue.display(1_764_583_200) == "1764583200 (2025-12-01 10:00:00 UTC)")
        #expect(TimeValue.display(0) == "0 (1970-01-01 00:00:00 UTC)")
        #expect(TimeValue.utcText(1_709_251_199) == "2024-02-29 23:59:59 UTC")
        #expect(TimeValue.utcText(TimeValue.latest) == "9999-12-31 23:59:59 UTC")
    }

    @Test("parsing what display prints gives the same seconds back, day after day")
    func roundTrip() throws {
        var seconds: Int64 = 0
        while seconds < 4_200_000_000 {
            let utc = TimeValue.utcText(seconds)  // "YYYY-MM-DD hh:mm:ss UTC"
            let iso = utc.replacingOccurrences(of: " UTC", with: "Z")
            #expect(try TimeValue.parse(iso, now: 0) == seconds, "\(iso)")
            seconds += 86_400 * 37 + 3_607
        }
    }

    @Test("set and import type a standard field's text through one entry point")
    func fieldValues() throws {
        let v1 = { (name: String) in StandardField.named(name, in: .v1)! }
        let v2 = { (name: String) in StandardField.named(name, in: .v2)! }
        #expect(try v1("name").value(fromText: "9", now: now) == .string("9"))
        #expect(try v1("name").value(fromText: "true", now: now) == .string("true"))
        #expect(try v1("last_request_at").value(fromText: "2026-12-01", now: now) == .integer(1_796_083_200))
        #expect(try v2("last_seen_at").value(fromText: "now", now: now) == .integer(now))
        #expect(try v2("signed_up_at").value(fromText: "1700000000", now: now) == .integer(1_700_000_000))
        #expect(try v2("owner_id").value(fromText: "42", now: now) == .integer(42))
        #expect(try v1("unsubscribed_from_emails").value(fromText: "false", now: now) == .bool(false))
        #expect(throws: FieldValueError("unsubscribed_from_emails takes true or false, not \"yes\"")) {
            try v1("unsubscribed_from_emails").value(fromText: "yes", now: now)
        }
        #expect {
            try v1("last_request_at").value(fromText: "soon", now: now)
        } throws: { error in
            (error as? FieldValueError)?.message.hasPrefix("last_request_at takes a time: \"soon\" is not a time: use Unix seconds") == true
        }
        #expect(throws: FieldValueError.self) { try v2("owner_id").value(fromText: "-1", now: now) }
        #expect(throws: FieldValueError.self) { try v1("name").value(fromText: "a\u{0}b", now: now) }
    }

    @Test("which fields are times, per dialect, and how their values are shown")
    func timeFields() {
        for name in ["last_request_at", "signed_up_at", "remote_created_at", "created_at", "updated_at"] {
            #expect(StandardField.named(name, in: .v1)?.isTime == true, "\(name)")
        }
        for name in ["last_seen_at", "signed_up_at", "created_at", "updated_at"] {
            #expect(StandardField.named(name, in: .v2)?.isTime == true, "\(name)")
        }
        #expect(StandardField.named("session_count", in: .v1)?.isTime == false, "a count, not a time")
        #expect(StandardField.named("owner_id", in: .v2)?.isTime == false)
        #expect(StandardField.isTimeField("last_seen_at") && StandardField.isTimeField("remote_created_at"))
        #expect(!StandardField.isTimeField("name"))
        let field = StandardField.named("updated_at", in: .v1)!
        #expect(field.display(.integer(1_764_583_200)) == "1764583200 (2025-12-01 10:00:00 UTC)")
        #expect(field.display(.null) == "null")
        #expect(StandardField.named("name")!.display("O'Brien") == "\"O'Brien\"")
    }

    @Test("the 2.x attribute check: unknown (with the nearest name), archived, wrong type")
    func attributeCatalog() {
        let catalog = AttributeCatalog(
            attributes: [
                DataAttribute(name: "monthly_spend", dataType: "float"),
                DataAttribute(name: "plan", dataType: "string"),
                DataAttribute(name: "old_plan", dataType: "string", archived: true),
            ], fetchedAt: 0)
        #expect(catalog.problem(setting: "monthly_spend", to: 155) == nil)
        #expect(catalog.problem(setting: "plan", to: .null) == nil)
        let unknown = catalog.problem(setting: "monthly_spnd", to: 3, suggest: { _, names in names.first })
        #expect(unknown?.code == "unknown_attribute")
        #expect(unknown?.message.hasPrefix("the workspace has no custom attribute monthly_spnd; did you mean `monthly_spend`?") == true)
        #expect(catalog.problem(setting: "zzz", to: 3)?.message.contains("the workspace has monthly_spend, plan") == true)
        #expect(catalog.problem(setting: "old_plan", to: "x")?.code == "archived_attribute")
        let wrong = catalog.problem(setting: "plan", to: 9)
        #expect(wrong?.code == "attribute_type")
        #expect(wrong?.message == "plan is a string attribute, and 9 is an integer; quote the value to send it as text")
    }
}
