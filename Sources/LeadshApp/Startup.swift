import Foundation
import IntercomClient
import LeadModel

/// A configuration problem found before anything runs (exit 2), or a journal that cannot be opened (exit 3).
struct StartupError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32
    var description: String { message }

    static func usage(_ message: String) -> StartupError { StartupError(message: message, exitCode: ExitCodes.usage) }
}

/// The exit codes DESIGN promises.
public enum ExitCodes {
    public static let success: Int32 = 0
    public static let commandFailed: Int32 = 1
    public static let usage: Int32 = 2
    public static let journal: Int32 = 3
    public static let pending: Int32 = 4
    public static let failed: Int32 = 5
}
