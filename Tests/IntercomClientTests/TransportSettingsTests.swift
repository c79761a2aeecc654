import Foundation
import IntercomClient
import TestSupport
import Testing

@Suite("Transport settings: proxy URLs, NO_PROXY, CA files")
struct TransportSettingsTests {
    let intercom = Endpoint.intercom

    @Test("a proxy URL: scheme optional, port defaults to 1080, credentials redacted when shown")
    func proxyURL() throws {
        let plain = try ProxySetting("http://proxy.corp:3128")
        #expect(plain.host == "proxy.corp" && plain.port == 3128 && !plain.hasCredentials)
        #expect(plain.description == "http://proxy.corp:3128")
        let bare = try ProxySetting("proxy.corp")
        #expect(bare.port == 1080)
        let withSecret = try ProxySetting("http://alice:p%40ss@127.0.0.1:8080/")
        #expect(withSecret.hasCredentials)
        #expect(withSecret.description == "http://[redacted]@127.0.0.1:8080")
        #expect(withSecret.secrets == ["p@ss"])
        #expect(!"\(withSecret)".contains("alice") && !"\(withSecret)".contains("p@ss"))
    }

    @Test("proxies leadsh cannot use are refused, without echoing the password")
    func refusedProxies() {
        for text in ["https://proxy:443", "socks5://alice:hunter2@proxy:1080", "http://proxy:3128/path", "http://"] {
            #expect(throws: TransportError.self, "\(text)") { try ProxySetting(text) }
            do {
                _ = try ProxySetting(text)
            } catch {
                #expect(!error.message.contains("hunter2"), "\(error.message)")
            }
        }
    }

    @Test("HTTPS_PROXY applies to https://, the flag wins, an empty flag means none, http:// is never proxied")
    func resolution() throws {
        let env = ["HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2"]
        #expect(try ProxySetting.resolve(for: intercom, flag: nil, environment: env)?.host == "lower")
        #expect(try ProxySetting.resolve(for: intercom, flag: nil, environment: ["HTTPS_PROXY": "http://upper:1"])?.host == "upper")
        #expect(try ProxySetting.resolve(for: intercom, flag: "http://flag:3", environment: env)?.host == "flag")
        #expect(try ProxySetting.resolve(for: intercom, flag: "", environment: env) == nil)
        #expect(try ProxySetting.resolve(for: intercom, flag: nil, environment: [:]) == nil)
        let loopback = try Endpoint("http://127.0.0.1:8080")
        #expect(try ProxySetting.resolve(for: loopback, flag: "http://flag:3", environment: env) == nil)
        // Only HTTPS_PROXY counts for https://, as in curl: HTTP_PROXY does not.
        #expect(try ProxySetting.resolve(for: intercom, flag: nil, environment: ["HTTP_PROXY": "http://p:1"]) == nil)
    }

    @Test("NO_PROXY as curl reads it: *, domain suffixes with or without a dot, exact IPs, CIDR, ports ignored")
    func noProxy() throws {
        let rules = NoProxy("example.com, .corp.internal ,10.0.0.0/8,192.168.1.5,[::1],api.eu.intercom.io:443")
        #expect(rules.bypasses(host: "example.com"))
        #expect(rules.bypasses(host: "api.example.com"))
        #expect(!rules.bypasses(host: "notexample.com"))
        #expect(rules.bypasses(host: "corp.internal"))
        #expect(rules.bypasses(host: "a.b.corp.internal"))
        #expect(rules.bypasses(host: "10.20.30.40"))
        #expect(!rules.bypasses(host: "11.0.0.1"))
        #expect(rules.bypasses(host: "192.168.1.5"))
        #expect(!rules.bypasses(host: "192.168.1.6"))
        #expect(rules.bypasses(host: "[::1]"))
        #expect(rules.bypasses(host: "API.EU.Intercom.io"))
        #expect(!rules.bypasses(host: "api.intercom.io"))
        #expect(NoProxy("*").bypasses(host: "api.intercom.io"))
        #expect(!NoProxy("").bypasses(host: "api.intercom.io"))
        #expect(!NoProxy("*.intercom.io.evil").bypasses(host: "api.intercom.io"))

        let env = ["HTTPS_PROXY": "http://p:1", "NO_PROXY": "intercom.io"]
        #expect(try ProxySetting.resolve(for: intercom, flag: nil, environment: env) == nil)
        #expect(try ProxySetting.resolve(for: intercom, flag: "http://p:1", environment: ["no_proxy": ".intercom.io"]) == nil)
        #expect(
            try ProxySetting.resolve(
                for: Endpoint("https://api.au.intercom.io"), flag: nil, environment: ["HTTPS_PROXY": "http://p:1", "NO_PROXY": "eu.intercom.io"]) != nil)
    }

    @Test("the built-in endpoints are what parsing their URLs gives; the port comes from the URL, else the scheme")
    func builtInEndpoints() throws {
        #expect(Endpoint.intercom == (try Endpoint("https://api.intercom.io")))
        for region in Endpoint.Region.allCases {
            #expect(region.endpoint == (try Endpoint(region.baseURL)), "\(region)")
        }
        #expect(try Endpoint("https://api.intercom.io").port == 443)
        #expect(try Endpoint("https://intercom.example:8443/").port == 8443)
        #expect(try Endpoint("http://127.0.0.1").port == 80)
        #expect(try Endpoint("http://[::1]:9").port == 9)
    }

    @Test("a CA file that is missing, a folder, or holds no certificate is refused; a PEM bundle is read")
    func caFile() throws {
        let folder = TempDirectory("leadsh-cafile")
        #expect(throws: TransportError.self) { try TrustBundle(path: folder.file("missing.pem")) }
        #expect(throws: TransportError.self) { try TrustBundle(path: folder.path) }
        let junk = folder.write("junk.pem", "not a certificate\n")
        #expect(throws: TransportError.self) { try TrustBundle(path: junk) }
        let ca = try TestCA()
        let bundle = try TrustBundle(path: ca.certificate)
        #expect(try bundle.count == 1)
    }

    @Test("a CA file is only checked when made; a damaged certificate in it is found when it is read, naming the file")
    func damagedCAFile() throws {
        let folder = TempDirectory("leadsh-cafile")
        let damaged = folder.write("damaged.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        let bundle = try TrustBundle(path: damaged)
        #expect(bundle.path == damaged)
        #expect {
            _ = try bundle.count
        } throws: { error in
            "\(error)".contains(damaged) && "\(error)".contains("--ca-file")
        }
        // A certificate whose first line starts 9 bytes before the end of the third 16 KB read.
        let ca = try TestCA()
        let certificate = try String(contentsOfFile: ca.certificate, encoding: .utf8)
        let comments = String(repeating: "# a comment line of the bundle\n", count: 1585) + "#######\n"
        #expect(comments.utf8.count == 3 * 16384 - 9)
        let padded = folder.write("padded.pem", comments + certificate)
        #expect(try TrustBundle(path: padded).count == 1)
    }
}
