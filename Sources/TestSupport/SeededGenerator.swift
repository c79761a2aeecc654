/// SplitMix64 lives with the simulator, which seeds its schedules with it; the tests that
/// generate inputs from a seed use the same one.
@_exported import struct ReplaySimulator.SeededGenerator
