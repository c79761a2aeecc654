import LeadModel

/// `find CONDITION... [--limit N]`.
extension Arguments {
    /// Reads the conditions: `FIELD OP VALUE` each, one word each.
    ///
    /// - A field is a standard field of the dialect (its other-dialect name is read as its
    ///   equivalent: `user_id` is 2.x's `external_id`), `custom_attributes.NAME`, or else a
    ///   custom attribute; `tag` and `role` are keywords.
    /// - An unquoted value with commas is a list (`plan=gold,silver`: any of them; with `!=`,
    ///   none of them). A quoted condition is never split: `'plan=a,b'` is the one value `a,b`.
    /// - Values are typed as `set` types the field, or as `attr` types a value; `~`, `!~`,
    ///   `^` and `$` compare text, so their value is always text.
    mutating func leadSearch() throws(ParseError) -> LeadSearch {
        let limit = try takeLimit()
        guard !words.isEmpty else {
            throw usageError("find needs at least one condition, such as find email=obrien@truth.org or find plan=gold")
        }
        var conditions: [SearchCondition] = []
        var role: SearchRole?
        for word in words {
            let (field, op, valueText) = try splitCondition(word)
            switch field {
            case "role":
                guard op == .equal, let chosen = SearchRole(rawValue: valueText.lowercased()) else {
                    throw usageError("role takes = with lead, user or any, as in role=user, not \(Display.quoted(word.text))")
                }
                guard role == nil else { throw usageError("role= is given twice") }
                role = chosen
                continue
            case "tag":
                guard op == .equal || op == .notEqual else {
                    throw usageError("tag takes = or != with a tag name, as in tag=vip, not \(Display.quoted(word.text))")
                }
                conditions.append(SearchCondition(field: .tag, op: op, values: pieces(valueText, of: word, op: op).map(JSONValue.string)))
                continue
            default:
                break
            }
            let searchField = try resolve(field, word: word)
            var values: [JSONValue] = []
            for piece in pieces(valueText, of: word, op: op) {
                values.append(try typed(piece, for: searchField, op: op, word: word))
            }
            conditions.append(SearchCondition(field: searchField, op: op, values: values))
        }
        if dialect == .v1 {
            try checkV1(conditions, role: role)
        }
        guard conditions.count <= LeadSearch.maxConditions else {
            throw usageError("find takes at most \(LeadSearch.maxConditions) conditions (Intercom's search limit), not \(conditions.count)")
        }
        guard !conditions.isEmpty else {
            throw usageError("find needs a condition besides role=, such as find role=user email$@acme.com")
        }
        return LeadSearch(conditions: conditions, role: role ?? .lead, limit: limit)
    }

    /// `--limit N` or `--limit=N`, taken out of `words`.
    private mutating func takeLimit() throws(ParseError) -> Int? {
        var limit: Int?
        var rest: [Word] = []
        var index = 0
        while index < words.count {
            let text = words[index].text
            var value: String?
            if text == "--limit" {
                guard index + 1 < words.count else { throw usageError("--limit takes a number of leads") }
                value = words[index + 1].text
                index += 2
            } else if text.hasPrefix("--limit=") {
                value = String(text.dropFirst("--limit=".count))
                index += 1
            } else {
                if text.hasPrefix("--") {
                    throw usageError("find has no option \(Display.quoted(text)); it takes --limit N")
                }
                rest.append(words[index])
                index += 1
                continue
            }
            limit = Int(try positive(value ?? "", what: "N"))
        }
        words = rest
        return limit
    }

    /// `FIELD`, the operator and the value text of one condition.
    private func splitCondition(_ word: Word) throws(ParseError) -> (String, SearchOperator, String) {
        let text = word.text
        guard let at = text.firstIndex(where: { SearchOperator.characters.contains($0) }) else {
            throw usageError(
                "\(Display.quoted(text)) is not a condition: write FIELD OPERATOR VALUE with no spaces, as in plan=gold or signed_up_at<2026-06-01 (operators: = != < > <= >= ~ !~ ^ $)"
            )
        }
        let field = String(text[..<at])
        guard !field.isEmpty else { throw usageError("\(Display.quoted(text)) names no field before its operator") }
        let rest = text[at...]
        guard let op = SearchOperator.byLength.first(where: { rest.hasPrefix($0.rawValue) }) else {
            throw usageError(
                "\(Display.quoted(text)): unknown operator; use one of = != < > <= >= ~ (contains) !~ ^ (starts with) $ (ends with)")
        }
        let value = String(rest.dropFirst(op.rawValue.count))
        guard !value.isEmpty else {
            throw usageError("\(Display.quoted(text)) has no value; \(field)=null finds the leads without one")
        }
        return (field, op, value)
    }

    /// The values of a condition: an unquoted comma list with `=` or `!=` is split.
    private func pieces(_ text: String, of word: Word, op: SearchOperator) -> [String] {
        guard !word.quoted, op == .equal || op == .notEqual, text.contains(",") else { return [text] }
        return text.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
    }

    /// The field a name stands for in this dialect.
    private func resolve(_ name: String, word: Word) throws(ParseError) -> SearchField {
        let prefix = "custom_attributes."
        if name.hasPrefix(prefix) {
            // Spelled out, a custom attribute may share a standard field's name.
            let attribute = String(name.dropFirst(prefix.count))
            guard !attribute.isEmpty else { throw usageError("\(Display.quoted(name)) names no custom attribute after custom_attributes.") }
            return .custom(attribute)
        }
        if StandardField.named(name, in: dialect) != nil { return .standard(name) }
        let equivalents: [String: String] =
            dialect == .v1
            ? ["external_id": "user_id", "last_seen_at": "last_request_at"]
            : ["user_id": "external_id", "last_request_at": "last_seen_at"]
        if let equivalent = equivalents[name] { return .standard(equivalent) }
        if dialect == .v2, let dot = name.firstIndex(of: "."), ["location", "avatar"].contains(String(name[..<dot])) {
            return .standard(name)
        }
        if let problem = CustomAttributeRules.problem(withName: name) { throw usageError(problem) }
        return .custom(name)
    }

    /// A value typed for its field: by the field's kind, or by `attr`'s rules.
    private func typed(_ text: String, for field: SearchField, op: SearchOperator, word: Word) throws(ParseError) -> JSONValue {
        if op.isTextual { return .string(text) }
        if text == "null", !word.quoted {
            guard !op.isOrdering else { throw usageError("\(op.rawValue) cannot compare with null: \(Display.quoted(word.text))") }
            return .null
        }
        switch field {
        case .standard(let name):
            guard let standard = StandardField.named(name, in: dialect) else { return .string(text) }
            if op.isOrdering, standard.kind == .string || standard.kind == .boolean {
                throw usageError("\(op.rawValue) compares numbers and times; \(name) is \(standard.kind == .string ? "text" : "true or false")")
            }
            do {
                return try standard.value(fromText: text, now: TimeValue.currentTime())
            } catch {
                throw usageError(error.message)
            }
        case .custom:
            return try Literal.attributeValue(Word(text, quoted: word.quoted))
        case .tag:
            return .string(text)
        }
    }

    /// 1.x has no search: only a lookup by email or by user_id.
    private func checkV1(_ conditions: [SearchCondition], role: SearchRole?) throws(ParseError) {
        let lookups: Set<SearchField> = [.standard("email"), .standard("user_id")]
        for condition in conditions where !lookups.contains(condition.field) || condition.op != .equal || condition.values.count != 1 {
            throw usageError(
                "1.x has no search (find takes only email=EMAIL or user_id=UID there): \(Display.quoted(condition.description)) needs --api-version 2.14")
        }
        if let role, role != .lead {
            throw usageError("1.x finds leads only; role=\(role.rawValue) needs --api-version 2.14")
        }
        guard conditions.count <= 1 else {
            throw usageError("1.x looks up one email or one user_id at a time; several conditions need --api-version 2.14")
        }
    }
}
