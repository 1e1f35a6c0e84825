using System.ComponentModel.DataAnnotations;
using EmailPipeline.Ingress.Configuration;
using EmailPipeline.Ingress.Hosting;
using EmailPipeline.Ingress.Session;

namespace EmailPipeline.Ingress.Tests.Hosting;

public sealed class BodyByteBudgetTests
{
    private const long MiB = 1024 * 1024;

    [Theory]
    [InlineData(100, 0, true, 0)]
    [InlineData(100, 100, true, 100)]
    [InlineData(100, 101, false, 0)]
    [InlineData(1, 2, false, 0)]
    public void A_reservation_is_all_or_nothing(long capacity, long bytes, bool granted, long reservedAfter)
    {
        var budget = new BodyByteBudget(capacity);
        Assert.Equal(granted, budget.TryReserve(bytes));
        Assert.Equal(reservedAfter, budget.Reserved);
        Assert.Equal(capacity - reservedAfter, budget.Available);
    }

    [Fact]
    public void Released_bytes_can_be_reserved_again()
    {
        var budget = new BodyByteBudget(10);
        Assert.True(budget.TryReserve(6));
        Assert.False(budget.TryReserve(5));
        budget.Release(6);
        Assert.True(budget.TryReserve(10));
        Assert.False(budget.TryReserve(1));
        Assert.Equal(2, budget.Refusals);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_budget_holds_at_least_one_byte(long capacity) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new BodyByteBudget(capacity));

    [Fact]
    public void Would_fit_answers_without_holding_anything()
    {
        var budget = new BodyByteBudget(10);
        Assert.True(budget.TryReserve(4));
        Assert.True(budget.WouldFit(6));
        Assert.False(budget.WouldFit(7));
        Assert.Equal(4, budget.Reserved);
    }

    [Fact]
    public void Concurrent_reservations_never_overshoot_and_all_come_back()
    {
        var budget = new BodyByteBudget(1000);
        long granted = 0;
        long peak = 0;
        Parallel.For(0, 8, _ =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                if (budget.TryReserve(7))
                {
                    Interlocked.Add(ref granted, 7);
                    long now = budget.Reserved;
                    long seen;
                    while (now > (seen = Interlocked.Read(ref peak)) && Interlocked.CompareExchange(ref peak, now, seen) != seen)
                    {
                    }

                    budget.Release(7);
                }
            }
        });

        Assert.True(granted > 0);
        Assert.True(peak <= 1000, $"peak {peak}");
        Assert.Equal(0, budget.Reserved);
    }

    [Theory]
    // A 1 GiB container: the GC may use 768 MiB (75 %), a twelfth of it is the budget.
    [InlineData(768 * MiB, 25 * MiB, 64 * MiB)]
    [InlineData(12L * 1024 * MiB, 25 * MiB, 1024 * MiB)]
    // Never less than one message of the largest size.
    [InlineData(256 * MiB, 25 * MiB, 25 * MiB)]
    public void The_default_is_a_twelfth_of_the_memory_but_at_least_one_message(long available, long maxMessage, long expected) =>
        Assert.Equal(expected, BodyByteBudget.DefaultFor(available, maxMessage));

    [Theory]
    [InlineData(0, 64 * MiB)]
    [InlineData(8 * MiB, 8 * MiB)]
    public void The_limits_give_the_configured_budget_or_the_default(long configured, long expected)
    {
        var limits = new SmtpLimits { MaxMessageSize = 2 * MiB, MaxBufferedBodyBytes = configured };
        Assert.Equal(expected, limits.BodyBudgetFor(768 * MiB));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(25 * MiB, true)]
    [InlineData(25 * MiB - 1, false)]
    [InlineData(-1, false)]
    public void A_configured_budget_must_hold_one_message_of_the_largest_size(long configured, bool valid)
    {
        var limits = new SmtpLimits { MaxMessageSize = 25 * MiB, MaxBufferedBodyBytes = configured };
        var results = new List<ValidationResult>();
        Assert.Equal(valid, Validator.TryValidateObject(limits, new ValidationContext(limits), results, validateAllProperties: true));
    }

    [Fact]
    public void A_transaction_reservation_grows_to_the_total_asked_and_gives_all_back()
    {
        var budget = new BodyByteBudget(200);
        using (var reservation = new BodyReservation(budget))
        {
            Assert.True(reservation.TryGrowTo(64));
            Assert.True(reservation.TryGrowTo(128));
            Assert.True(reservation.TryGrowTo(100)); // already held
            Assert.Equal(128, budget.Reserved);
            Assert.False(reservation.TryGrowTo(256));
            Assert.Equal(128, reservation.Held);
            Assert.Equal(128, budget.Reserved);
        }

        Assert.Equal(0, budget.Reserved);
    }

    [Fact]
    public void A_reservation_shrinks_when_refused_content_is_dropped_and_dispose_is_idempotent()
    {
        var budget = new BodyByteBudget(200);
        var reservation = new BodyReservation(budget);
        Assert.True(reservation.TryGrowTo(192));
        reservation.ShrinkTo(64);
        Assert.Equal(64, budget.Reserved);
        reservation.ShrinkTo(128); // never grows by shrinking
        Assert.Equal(64, budget.Reserved);
        reservation.Dispose();
        reservation.Dispose();
        Assert.Equal(0, budget.Reserved);
    }

    [Fact]
    public void Two_transactions_share_the_budget()
    {
        var budget = new BodyByteBudget(128);
        using var first = new BodyReservation(budget);
        using var second = new BodyReservation(budget);
        Assert.True(first.TryGrowTo(64));
        Assert.True(second.TryGrowTo(64));
        Assert.False(first.TryGrowTo(128));
        second.Dispose();
        Assert.True(first.TryGrowTo(128));
    }
}
