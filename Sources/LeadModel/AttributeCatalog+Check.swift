/// Why a custom attribute cannot be set as asked under 2.x, where the workspace's catalog decides.
public struct AttributeProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// `unknown_attribute`, `archived_attribute` or `attribute_type`: the codes `--json` shows.
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension AttributeCatalog {
    /// The check `attr` and an import make before journaling a 2.x custom attribute: the
    /// workspace must have it, unarchived, and the value must fit its type.
    ///
    /// - Parameters:
    ///   - name: The attribute's name, without `custom_attributes.`.
    ///   - value: The typed value (`null` fits any type).
    ///   - suggest: Picks the nearest of the workspace's names to a mistyped one
    ///     (the shell passes `CommandParser.nearest`); nil for none.
    /// - Returns: nil when the edit may be journaled.
    public func problem(
        setting name: String, to value: JSONValue, suggest: (String, [String]) -> String? = { _, _ in nil }
    ) -> AttributeProblem? {
        guard let attribute = custom(named: name) else {
            let names = writableCustomNames
            let hint =
                suggest(name, names).map { "; did you mean `\($0)`?" }
                ?? (names.isEmpty
                    ? "; the workspace has none"
                    : "; the workspace has \(names.prefix(12).joined(separator: ", "))\(names.count > 12 ? ", ..." : "")")
            return AttributeProblem(
                code: "unknown_attribute",
                message:
                    "the workspace has no custom attribute \(name)\(hint) (under 2.x an attribute must be created in Intercom before it is set; `attributes` lists them)"
            )
        }
        if attribute.archived {
            return AttributeProblem(code: "archived_attribute", message: "the custom attribute \(name) is archived in Intercom and cannot be set")
        }
        if let problem = attribute.problem(with: value) {
            return AttributeProblem(code: "attribute_type", message: problem)
        }
        return nil
    }
}
