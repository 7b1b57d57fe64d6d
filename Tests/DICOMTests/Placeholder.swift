import Testing

@Test func placeholderDICOM() { #expect(1 == 1) }
