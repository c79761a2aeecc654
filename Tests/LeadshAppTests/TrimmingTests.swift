import Foundation
import Testing

@testable import LeadshApp

@Suite("Trimming white space without Foundation")
struct TrimmingTests {
    @Test("every Unicode scalar is white space exactly when CharacterSet.whitespacesAndNewlines holds it")
    func sameScalars() {
        let set = CharacterSet.whitespacesAndNewlines
        var differ: [String] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if scalar.isWhitespaceOrNewline != set.contains(scalar) { differ.append(String(value, radix: 16)) }
        }
        #expect(differ.isEmpty, "differ at U+\(differ.prefix(20))")
    }

    @Test(
        "strings are trimmed as trimmingCharacters(in: .whitespacesAndNewlines) trims them",
        arguments: ["", " ", "tok", "  tok\n", "\t\r\ntok en\u{2028}", "\u{A0}tok\u{3000}", "e\u{301} ", " \u{301}x", "\r\n", "a\u{85}"])
    func sameStrings(text: String) {
        #expect(text.trimmingWhitespaceAndNewlines() == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
