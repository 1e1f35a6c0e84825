using System.Text;
using EmailPipeline.Ingress.Queueing;

namespace EmailPipeline.Ingress.Tests.Queueing;

public sealed class HeaderFieldsTests
{
    [Theory]
    [InlineData("Received: a\r\nReceived: b\r\nFrom: x\r\n\r\nbody\r\n", 2)]
    [InlineData("RECEIVED : a\r\n received-continued\r\nreceived:b\r\n\r\n", 2)] // case, WSP before the colon, folding
    [InlineData("From: x\r\n\r\nReceived: in the body\r\nReceived: again\r\n", 0)] // the body is not the header section
    [InlineData("X-Received: a\r\nReceivedBy: b\r\nReceived\r\n\r\n", 0)] // other names, and a name without a colon
    [InlineData("Received: a\r\nSubject: folded\r\n Received: not a field\r\n\r\n", 1)]
    [InlineData("", 0)]
    public void Received_fields_are_counted_in_the_header_section_only(string message, int expected) =>
        Assert.Equal(expected, HeaderFields.Count(Encoding.ASCII.GetBytes(message), "Received"u8, 1000));

    [Fact]
    public void Counting_stops_once_it_has_enough()
    {
        string message = string.Concat(Enumerable.Repeat("Received: x\r\n", 500)) + "\r\n";
        Assert.Equal(50, HeaderFields.Count(Encoding.ASCII.GetBytes(message), "Received"u8, 50));
    }

    [Fact]
    public void A_header_section_without_an_ending_is_read_to_the_end() =>
        Assert.Equal(2, HeaderFields.Count("Received: a\r\nReceived: b"u8, "Received"u8, 1000));
}
