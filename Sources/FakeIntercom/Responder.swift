import Foundation
import Hummingbird
import LeadModel

/// The per-request context: a way to cut the connection, for faults.
struct ConnectionContext: InitializableFromSource {
    /// Closes the request's connection without answering.
    let closeConnection: @Sendable () async -> Void

    init(source: ApplicationRequestContextSource) {
        let channel = source.channel
        closeConnection = { try? await channel.close() }
    }
}

/// Turns HTTP requests into Intercom's answers, or into the fault a test queued.
struct FakeResponder: HTTPResponder {
    typealias Context = ConnectionContext

    /// Bodies larger than this are refused by the HTTP layer.
    static let maxBodySize = 16 * 1024 * 1024

    /// The workspace's answer to a request (``FakeWorkspace/responder``).
    let answer: @Sendable (RecordedRequest) -> FakeAnswer

    func respond(to request: Request, context: ConnectionContext) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: Self.maxBodySize)
        let recorded = RecordedRequest(
            method: request.method.rawValue,
            path: request.uri.path,
            rawQuery: request.uri.query,
            headers: Self.headers(of: request),
            body: Array(buffer.readableBytesView))
        let answer = answer(recorded)
        if answer.delay > .zero {
            try await pause(for: answer.delay, context: context)
        }
        switch answer.delivery {
        case .complete: return response(for: answer)
        case .never: try await hang(context: context)
        case .cutMidway: return dropMidResponse(answer, context: context)
        }
    }

    /// The header fields as sent; `Host`, which the HTTP layer lifts out, comes back first.
    private static func headers(of request: Request) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(request.headers.count + 1)
        if let host = request.head.authority { headers.append(("Host", host)) }
        for field in request.headers { headers.append((field.name.rawName, field.value)) }
        return headers
    }

    /// Waits before answering; if the server stops meanwhile, the connection closes unanswered.
    private func pause(for delay: Duration, context: ConnectionContext) async throws {
        do {
            try await Task.sleep(for: delay)
        } catch {
            await context.closeConnection()
            throw error
        }
    }

    /// Never answers: waits until the server stops, then closes the connection.
    private func hang(context: ConnectionContext) async throws -> Never {
        while true {
            do {
                try await Task.sleep(for: .seconds(3600))
            } catch {
                await context.closeConnection()
                throw error
            }
        }
    }

    /// Announces the whole body, sends about half of it, and closes the connection.
    private func dropMidResponse(_ reply: FakeAnswer, context: ConnectionContext) -> Response {
        var response = response(for: reply)
        let bytes = Array(reply.body.utf8)
        let partial = ByteBuffer(bytes: bytes.prefix(max(1, bytes.count / 2)))
        let closeConnection = context.closeConnection
        response.body = ResponseBody(contentLength: bytes.count) { writer in
            try await writer.write(partial)
            await closeConnection()
            throw ConnectionDropped()
        }
        return response
    }

    private func response(for reply: FakeAnswer) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = reply.contentType
        for (name, value) in reply.headers {
            headers.append(.init(name: .init(name)!, value: value))
        }
        let body = ByteBuffer(string: reply.body)
        return Response(
            status: .init(code: reply.status, reasonPhrase: Self.reasonPhrase(reply.status)),
            headers: headers,
            body: .init(byteBuffer: body))
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: ""
        }
    }
}

/// Thrown inside a response body to abandon the response after the connection was cut on purpose.
struct ConnectionDropped: Error {}
