import Foundation
import TestSupport
import Testing

@testable import LeadImport

/// The SHA-256 that names an imported file (its op ids): a rerun of the same file must find
/// the same digest as every earlier leadsh did with swift-crypto's.
@Suite("SHA-256 of an imported file")
struct DigestTests {
    static func digest(_ text: String) -> String {
        var hasher = SHA256Digest()
        hasher.update(Array(text.utf8))
        return hasher.finalize()
    }

    @Test("FIPS 180-4's examples: the empty message, abc, and the two-block message")
    func examples() {
        #expect(Self.digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Self.digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("a file of every length around the block boundaries, fed in uneven chunks, gives what sha256sum gives")
    func agreesWithSha256sum() async throws {
        let sha256sum = "/usr/bin/sha256sum"
        try #require(FileManager.default.isExecutableFile(atPath: sha256sum), "coreutils' sha256sum is missing")
        let dir = TempDirectory("leadsh-digest")
        var rng = SeededGenerator(state: 0x5A_256)
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1_000, 70_001] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let path = dir.file("f\(length)")
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            var chunked = SHA256Digest()
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + Int.random(in: 1...200, using: &rng))
                chunked.update(bytes[offset..<end])
                offset = end
            }
            let expected = try await runProgram(sha256sum, [path], environment: [:]).stdout.prefix(64)
            #expect(chunked.finalize() == String(expected), "\(length) bytes")
            #expect(try CSVImport.sha256(path: path, name: "f") == String(expected), "\(length) bytes, read from the file")
        }
    }
}
