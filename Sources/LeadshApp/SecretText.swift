/// Finding the token in a line or an output, by its UTF-8 bytes.
///
/// Every line a script runs and every text leadsh prints is searched, so the search scans
/// for the secret's first byte and compares the rest only there, with no Foundation bridging
/// (Foundation's `contains` costs about 7,000 instructions a call through `NSString`).
/// A match of a whole valid UTF-8 string always starts and ends on character-encoding
/// boundaries, so replacing matches leaves valid UTF-8.
extension String {
    /// Whether `secret` (not empty) occurs in this string, byte for byte.
    func containsSecret(_ secret: String) -> Bool {
        firstSecretOffset(secret, from: 0) != nil
    }

    /// This string with every occurrence of `secret` (not empty) replaced, left to right,
    /// without overlaps (as `replacingOccurrences(of:with:)` does).
    func replacingSecret(_ secret: String, with replacement: String) -> String {
        guard var found = firstSecretOffset(secret, from: 0) else { return self }
        let bytes = Array(utf8)
        let length = secret.utf8.count
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var copied = 0
        while true {
            result.append(contentsOf: bytes[copied..<found])
            result.append(contentsOf: replacement.utf8)
            copied = found + length
            guard let next = firstSecretOffset(secret, from: copied) else { break }
            found = next
        }
        result.append(contentsOf: bytes[copied...])
        return String(decoding: result, as: UTF8.self)
    }

    /// The byte offset of the first occurrence of `secret` at or after `start`.
    private func firstSecretOffset(_ secret: String, from start: Int) -> Int? {
        var secret = secret
        return secret.withUTF8 { needle in
            guard let first = needle.first else { return nil }
            var text = self
            return text.withUTF8 { haystack -> Int? in
                guard haystack.count >= needle.count else { return nil }
                let last = haystack.count - needle.count
                var at = start
                while at <= last {
                    guard haystack[at] == first else {
                        at += 1
                        continue
                    }
                    var matched = 1
                    while matched < needle.count, haystack[at + matched] == needle[matched] { matched += 1 }
                    if matched == needle.count { return at }
                    at += 1
                }
                return nil
            }
        }
    }
}
