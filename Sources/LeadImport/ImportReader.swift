/// Reads an import file a chunk at a time on a task of its own, so the next chunk is parsed and
/// checked while the caller journals the one before: reading and journaling each keep a core.
///
/// `CSVImport` is not `Sendable`: a reader holds it and hands it from one reading task to the
/// next. Each task waits for the one before it, so only one task ever reads the file.
public final class ImportReader: @unchecked Sendable {
    /// Up to `max` items of the file, and whether the file ended with them.
    public struct Chunk: Sendable {
        public var items: [ImportItem] = []
        /// The file stopped being readable after `items` (an I/O error, bytes that are not UTF-8).
        public var problem: ImportProblem?
        public var atEnd = false
    }

    private let file: CSVImport
    /// The last chunk asked for; the next one starts after it.
    private var last: Task<Chunk, Never>?

    public init(_ file: CSVImport) {
        self.file = file
    }

    /// Starts reading the next `max` items on a task of its own (after the chunk asked for
    /// before, if that one is still being read) and returns at once.
    ///
    /// Call it from one task (the importing one); the returned task's value is the chunk.
    public func readAhead(max: Int) -> Task<Chunk, Never> {
        let previous = last
        let next = Task.detached { [self] in
            _ = await previous?.value
            return self.read(max: max)
        }
        last = next
        return next
    }

    private func read(max: Int) -> Chunk {
        var chunk = Chunk()
        chunk.items.reserveCapacity(max)
        do {
            while chunk.items.count < max {
                guard let item = try file.next() else {
                    chunk.atEnd = true
                    return chunk
                }
                chunk.items.append(item)
            }
        } catch {
            chunk.problem = error
            chunk.atEnd = true
        }
        return chunk
    }
}
