using EmailPipeline.Contracts;

namespace EmailPipeline.Smtp.Tests;

public sealed class QueueIdTests
{
    [Fact]
    public void Ids_sort_by_receive_time_and_carry_it()
    {
        var earlier = QueueId.New(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var later = QueueId.New(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_001));
        Assert.True(string.CompareOrdinal(earlier, later) < 0);
        Assert.Equal(1_700_000_000_000, QueueId.TimestampOf(earlier).ToUnixTimeMilliseconds());
        Assert.True(QueueId.IsValid(later));
        Assert.Equal(26, later.Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-an-id")]
    [InlineData("8ZZZZZZZZZZZZZZZZZZZZZZZZZ")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAI")]
    public void Malformed_ids_are_refused(string id) => Assert.False(QueueId.IsValid(id));
}
