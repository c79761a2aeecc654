import CommandParser
import Foundation
import Subprocess
import SystemPackage

/// Runs a workspace's `token_command` without a shell and takes the first line of its
/// output as the token.
///
/// The words are split as a POSIX shell splits them (quotes, backslashes), but nothing
/// is expanded, piped or globbed. A command that cannot start, fails, outlives its
/// timeout or prints nothing is refused with its own stderr; its output never appears
/// in a message.
enum TokenCommand {
    static func run(_ command: String, timeout: Duration, origin: String) async throws(StartupError) -> String {
        let words: [String]
        do {
            words = try Tokenizer.split(command).map(\.text)
        } catch {
            throw .usage("token_command (\(origin)): \(error.description)")
        }
        guard let program = words.first else { throw .usage("token_command (\(origin)) is empty") }
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        let arguments = Arguments(Array(words.dropFirst()))

        let outcome: Result<(status: TerminationStatus, output: String, error: String), any Error>? =
            await withTaskGroup(of: Result<(status: TerminationStatus, output: String, error: String), any Error>?.self) { group in
                group.addTask {
                    do {
                        let result = try await Subprocess.run(
                            executable, arguments: arguments, input: .none,
                            output: .string(limit: 64 * 1024), error: .string(limit: 64 * 1024))
                        return .success((result.terminationStatus, result.standardOutput, result.standardError))
                    } catch {
                        return .failure(error)
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
        guard let outcome else {
            throw .usage("token_command (\(origin)) did not finish within \(timeout.components.seconds) seconds: `\(program)` was stopped")
        }
        let finished: (status: TerminationStatus, output: String, error: String)
        switch outcome {
        case .success(let value): finished = value
        case .failure(let error): throw .usage("token_command (\(origin)) could not run `\(program)`: \(error)")
        }
        let stderr = finished.error.trimmingCharacters(in: .whitespacesAndNewlines)
        let said = stderr.isEmpty ? "" : ": " + stderr.split(separator: "\n").prefix(5).joined(separator: " / ")
        guard case .exited(0) = finished.status else {
            throw .usage("token_command (\(origin)) `\(program)` \(describe(finished.status))\(said)")
        }
        let token =
            finished.output.split(separator: "\n", omittingEmptySubsequences: false).first
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard !token.isEmpty else {
            throw .usage("token_command (\(origin)) `\(program)` printed no token\(said)")
        }
        guard !token.contains(" ") else {
            throw .usage("token_command (\(origin)) `\(program)` printed a first line with spaces, not a token")
        }
        return token
    }

    private static func describe(_ status: TerminationStatus) -> String {
        switch status {
        case .exited(let code): return "exited with status \(code)"
        case .signaled(let signal): return "was killed by signal \(signal)"
        }
    }
}
