using EmailPipeline.Queue.Scheduling;

namespace EmailPipeline.Queue.Tests.Scheduling;

public sealed class DelayLadderTests
{
    private static readonly DelayLadder Ladder = new([TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromHours(2)]);

    [Theory]
    [InlineData(1, 5)]
    [InlineData(5, 5)]
    [InlineData(59, 5)]
    [InlineData(60, 60)]
    [InlineData(299, 60)]
    [InlineData(300, 300)]
    [InlineData(7199, 300)]
    [InlineData(36000, 7200)]
    public void Each_hop_is_the_largest_step_that_does_not_overshoot(int remainingSeconds, int hopSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(hopSeconds), Ladder.NextHop(TimeSpan.FromSeconds(remainingSeconds)));

    [Fact]
    public void A_wait_is_reached_within_the_smallest_step_by_summing_hops()
    {
        TimeSpan wait = TimeSpan.FromMinutes(37) + TimeSpan.FromSeconds(13);
        TimeSpan elapsed = TimeSpan.Zero;
        int hops = 0;
        while (wait - elapsed > Ladder.Precision / 2)
        {
            elapsed += Ladder.NextHop(wait - elapsed);
            hops++;
        }

        Assert.InRange(elapsed - wait, -Ladder.Precision, Ladder.Precision);
        Assert.True(hops < 20);
    }

    [Fact]
    public void Queue_names_carry_the_step_in_seconds() =>
        Assert.Equal("queue-delay-300s", DelayLadder.QueueName(TimeSpan.FromMinutes(5)));

    [Fact]
    public void The_schedule_repeats_its_last_entry()
    {
        var schedule = new RetrySchedule([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromHours(2)]);
        Assert.Equal(TimeSpan.FromMinutes(1), schedule.After(1));
        Assert.Equal(TimeSpan.FromMinutes(5), schedule.After(2));
        Assert.Equal(TimeSpan.FromHours(2), schedule.After(3));
        Assert.Equal(TimeSpan.FromHours(2), schedule.After(30));
    }
}
