import Testing

@Test func placeholderONNX() { #expect(Bool(true)) }
