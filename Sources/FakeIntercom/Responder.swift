import LeadModel
import Logging
import NIOCore
import NIOHTTP1

/// Serves one HTTP/1.1 connection: turns its requests into Intercom's answers, or into the
/// fault a test queued, one request after the other (keep-alive).
///
/// The connection closes when the client closes it or asks to (`Connection: close`, HTTP/1.0),
/// after a fault that cuts it, and when the task is cancelled, which is how the server stops:
/// requests in flight, delayed and hung ones included, are then abandoned unanswered.
struct FakeResponder: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    typealias Writer = NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>

    /// Bodies larger than this are refused with `413` and the connection closes.
    static let maxBodySize = 16 * 1024 * 1024

    /// The workspace's answer to a request (``FakeWorkspace/responder``).
    let answer: @Sendable (RecordedRequest) -> FakeAnswer

    /// Answers the connection's requests until it closes; closes it when done.
    func serve(_ connection: Connection, logger: Logger) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var parts = inbound.makeAsyncIterator()
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                while let part = try await parts.next() {
                    switch part {
                    case .head(let next):
                        head = next
                        body.clear()
                    case .body(var chunk):
                        guard body.readableBytes + chunk.readableBytes <= Self.maxBodySize else {
                            try await Self.refuseTooLarge(outbound)
                            return
                        }
                        body.writeBuffer(&chunk)
                    case .end:
                        guard let request = head else { continue }
                        head = nil
                        guard try await respond(to: request, body: body, parts: &parts, outbound: outbound) else { return }
                    }
                }
            }
        } catch {
            // The client went away, the server stopped, or the request was not HTTP.
            logger.trace("connection closed", metadata: ["error": "\(error)"])
        }
    }

    /// Answers one request; returns whether the connection stays open for another.
    private func respond(
        to head: HTTPRequestHead, body: ByteBuffer, parts: inout NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator,
        outbound: Writer
    ) async throws -> Bool {
        let target = Self.split(head.uri)
        let recorded = RecordedRequest(
            method: head.method.rawValue,
            path: target.path,
            rawQuery: target.query,
            headers: Self.headers(of: head),
            body: Array(body.readableBytesView))
        let answer = answer(recorded)
        if answer.delay > .zero {
            // Cancelled when the server stops: the connection then closes unanswered.
            try await Task.sleep(for: answer.delay)
        }
        let keepAlive = head.isKeepAlive
        let withBody = head.method != .HEAD
        switch answer.delivery {
        case .complete:
            let bytes = ByteBuffer(string: answer.body)
            var response: [HTTPServerResponsePart] = [.head(Self.head(of: answer, length: bytes.readableBytes, keepAlive: keepAlive))]
            if withBody { response.append(.body(.byteBuffer(bytes))) }
            response.append(.end(nil))
            try await outbound.write(contentsOf: response)
            return keepAlive
        case .never:
            // Never answers: waits until the client closes the connection or the server stops
            // (the task is cancelled), and reads nothing more meanwhile.
            while try await parts.next() != nil {}
            return false
        case .cutMidway:
            // Announces the whole body, sends about half of it, and closes the connection.
            let bytes = Array(answer.body.utf8)
            var response: [HTTPServerResponsePart] = [.head(Self.head(of: answer, length: bytes.count, keepAlive: true))]
            if withBody { response.append(.body(.byteBuffer(ByteBuffer(bytes: bytes.prefix(max(1, bytes.count / 2)))))) }
            try await outbound.write(contentsOf: response)
            return false
        }
    }

    /// The response head: `Content-Type`, the answer's own fields (its `Date` included), `Content-Length`.
    private static func head(of answer: FakeAnswer, length: Int, keepAlive: Bool) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.reserveCapacity(answer.headers.count + 3)
        if !answer.contentType.isEmpty { headers.add(name: "Content-Type", value: answer.contentType) }
        for (name, value) in answer.headers { headers.add(name: name, value: value) }
        headers.add(name: "Content-Length", value: String(length))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        // NIO gives the known codes their standard reason phrase; others go without one.
        return HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
    }

    /// A body over ``maxBodySize``: `413`, and the connection closes (the rest is not read).
    private static func refuseTooLarge(_ outbound: Writer) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: "0")
        headers.add(name: "Connection", value: "close")
        try await outbound.write(contentsOf: [.head(HTTPResponseHead(version: .http1_1, status: .payloadTooLarge, headers: headers)), .end(nil)])
    }

    /// The header fields as sent, in order and spelling; the first `Host` comes first, spelt `Host`.
    static func headers(of head: HTTPRequestHead) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(head.headers.count)
        var hostSeen = false
        for (name, value) in head.headers {
            if !hostSeen && name.lowercased() == "host" {
                hostSeen = true
                headers.insert(("Host", value), at: 0)
            } else {
                headers.append((name, value))
            }
        }
        return headers
    }

    /// The request target's path and query, both as sent (not decoded); an absolute-form
    /// target (`http://host/path`, as from a proxy) gives its path. A query that is empty is nil.
    static func split(_ uri: String) -> (path: String, query: String?) {
        var target = Substring(uri)
        if let fragment = target.firstIndex(of: "#") { target = target[..<fragment] }
        if !target.hasPrefix("/"), let scheme = target.range(of: "://") {
            let afterAuthority = target[scheme.upperBound...]
            target = afterAuthority.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterAuthority[$0...] } ?? ""
        }
        let path: Substring
        var query: String?
        if let mark = target.firstIndex(of: "?") {
            path = target[..<mark]
            let rest = target[target.index(after: mark)...]
            query = rest.isEmpty ? nil : String(rest)
        } else {
            path = target
        }
        return (path.isEmpty ? "/" : String(path), query)
    }
}
