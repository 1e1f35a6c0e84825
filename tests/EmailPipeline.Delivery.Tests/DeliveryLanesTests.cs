using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Consumers;

namespace EmailPipeline.Delivery.Tests;

public sealed class DeliveryLanesTests
{
    private const long MiB = 1024 * 1024;

    [Theory]
    [InlineData(0, "delivery-requested")]
    [InlineData(1024 * 1024, "delivery-requested")]
    [InlineData(1024 * 1024 + 1, "delivery-requested-large")]
    [InlineData(25 * 1024 * 1024, "delivery-requested-large")]
    public void A_request_travels_in_the_lane_its_content_size_chooses(int contentBytes, string lane) =>
        Assert.Equal(lane, PipelineQueues.DeliveryQueueFor(contentBytes));

    [Fact]
    public void The_charts_one_gibibyte_pod_takes_twenty_small_and_three_large_requests_within_half_its_gc_memory()
    {
        // A 1 GiB container gives the GC 75 % (768 MiB); the budget is half of that.
        DeliveryLanes lanes = DeliveryLanes.For(maxConcurrentDeliveries: 20, configuredLarge: 0, maxMessageSize: 25 * MiB, budgetBytes: 384 * MiB);
        Assert.Equal(20, lanes.Small);
        Assert.Equal(3, lanes.Large);
        Assert.True(lanes.WorstCaseBytes <= lanes.BudgetBytes, $"{lanes.WorstCaseBytes / MiB} MiB held at worst");
    }

    [Fact]
    public void A_budget_too_small_for_one_large_message_still_delivers_large_messages_one_at_a_time() =>
        Assert.Equal(1, DeliveryLanes.For(20, 0, 25 * MiB, 64 * MiB).Large);

    [Fact]
    public void The_large_lane_never_takes_more_than_the_small_one() =>
        Assert.Equal(4, DeliveryLanes.For(4, 0, 2 * MiB, 16 * 1024 * MiB).Large);

    [Fact]
    public void An_operator_setting_for_the_large_lane_wins_over_the_derived_value() =>
        Assert.Equal(5, DeliveryLanes.For(20, 5, 25 * MiB, 64 * MiB).Large);

    [Fact]
    public void Options_without_a_budget_size_the_lanes_from_the_memory_the_gc_may_use()
    {
        var options = new DeliveryOptions();
        DeliveryLanes lanes = options.Lanes();
        Assert.Equal(DeliveryLanes.DefaultBudget(), lanes.BudgetBytes);
        Assert.Equal(20, lanes.Small);
        Assert.InRange(lanes.Large, 1, 20);
    }
}
