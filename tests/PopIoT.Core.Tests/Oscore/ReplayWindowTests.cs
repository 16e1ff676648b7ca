#nullable disable
using System;
using System.Collections.Generic;

using PopIoT.Core.Oscore;

using Xunit;

namespace PopIoT.Core.Tests.Oscore;

/// <summary>RFC 8613 §7.4: the sliding-bitmap replay window, against a reference model.</summary>
public class ReplayWindowTests
{
    /// <summary>The reference: a set of every number accepted, and the rule "fresh if new and not below highest − size + 1".</summary>
    private sealed class Model
    {
        private readonly HashSet<long> _seen = new();
        private readonly int _size;
        private long _highest = -1;

        public Model(int size) => _size = size;

        public bool Accept(long n)
        {
            if (n < 0 || n > ReplayWindow.MaxSequenceNumber || _seen.Contains(n) || (_highest >= 0 && n <= _highest - _size))
            {
                return false;
            }

            _seen.Add(n);
            _highest = Math.Max(_highest, n);
            return true;
        }
    }

    private static bool Offer(ReplayWindow w, long n)
    {
        bool fresh = w.IsFresh(n);
        if (fresh)
        {
            Assert.True(w.Update(n));
        }

        return fresh;
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(256)]
    public void Lowest_number_still_inside_the_window_is_accepted_once_and_the_one_below_is_refused(int size)
    {
        var w = new ReplayWindow(size);
        Assert.True(Offer(w, 1000));
        Assert.True(Offer(w, 1000 - size + 1));
        Assert.False(Offer(w, 1000 - size + 1));
        Assert.False(Offer(w, 1000 - size));
        Assert.False(Offer(w, 1000));
    }

    [Theory]
    [InlineData(32)]
    [InlineData(96)]
    [InlineData(256)]
    public void Jump_larger_than_the_window_forgets_everything_before_it(int size)
    {
        var w = new ReplayWindow(size);
        for (int i = 0; i < size; i++)
        {
            Assert.True(Offer(w, i));
        }

        long top = size - 1 + size + 5;
        Assert.True(Offer(w, top));
        Assert.False(Offer(w, size - 1));
        Assert.True(Offer(w, top - size + 1));
        Assert.True(Offer(w, top - 1));
        Assert.False(Offer(w, top - size));
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(256)]
    public void Jump_exactly_equal_to_the_window_puts_the_old_highest_just_outside(int size)
    {
        var w = new ReplayWindow(size);
        Assert.True(Offer(w, 10));
        Assert.True(Offer(w, 9));
        Assert.True(Offer(w, 10 + size));
        Assert.False(Offer(w, 10));
        Assert.False(Offer(w, 9));
        Assert.True(Offer(w, 11));
        Assert.False(Offer(w, 11));
    }

    [Theory]
    [InlineData(32, 1)]
    [InlineData(32, 30)]
    [InlineData(64, 33)]
    [InlineData(256, 200)]
    public void Number_landing_on_the_left_edge_after_a_shift_keeps_its_bit(int size, int shift)
    {
        var w = new ReplayWindow(size);
        long left = 500;
        Assert.True(Offer(w, left + size - 1 - shift));
        Assert.True(Offer(w, left));
        // Shift so that 'left' sits exactly on the left edge (highest − size + 1).
        Assert.True(Offer(w, left + size - 1));
        Assert.Equal(left + size - 1, w.Highest);
        Assert.False(Offer(w, left));
        Assert.False(Offer(w, left + size - 1 - shift));
        Assert.False(Offer(w, left - 1));
        // One more shift pushes it out.
        Assert.True(Offer(w, left + size));
        Assert.False(Offer(w, left));
    }

    [Fact]
    public void Sizes_must_be_multiples_of_32_up_to_256()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayWindow(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayWindow(48));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayWindow(288));
        Assert.Equal(32, new ReplayWindow().Size);
    }

    [Fact]
    public void Numbers_outside_0_to_2_pow_40_minus_1_are_refused()
    {
        var w = new ReplayWindow();
        Assert.False(w.IsFresh(-1));
        Assert.False(w.IsFresh(ReplayWindow.MaxSequenceNumber + 1));
        Assert.True(Offer(w, ReplayWindow.MaxSequenceNumber));
    }

    [Fact]
    public void Initialize_after_echo_refuses_everything_up_to_the_proven_number()
    {
        var w = new ReplayWindow(64);
        w.Initialize(100);
        Assert.False(Offer(w, 100));
        Assert.False(Offer(w, 99));
        Assert.False(Offer(w, 40));
        Assert.True(Offer(w, 101));
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    public void Exhaustive_all_orders_of_small_sequences_match_the_model(int size)
    {
        // Every sequence of length 5 over a value alphabet that straddles the window edge, including duplicates.
        long[] alphabet = [0, 1, 2, size - 1, size, size + 1, 2 * size, 2 * size + 1];
        int k = alphabet.Length;
        int length = 5;
        int total = 1;
        for (int i = 0; i < length; i++)
        {
            total *= k;
        }

        for (int code = 0; code < total; code++)
        {
            var w = new ReplayWindow(size);
            var m = new Model(size);
            int c = code;
            for (int i = 0; i < length; i++)
            {
                long n = alphabet[c % k];
                c /= k;
                Assert.Equal(m.Accept(n), Offer(w, n));
            }
        }
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(256)]
    public void Property_100000_random_sequences_match_the_reference_model(int size)
    {
        var random = SeededRandomSource.NewRandom(size);
        for (int s = 0; s < 100_000; s++)
        {
            var w = new ReplayWindow(size);
            var m = new Model(size);
            long base0 = random.Next(0, 4) == 0 ? ReplayWindow.MaxSequenceNumber - 3 * size : random.Next(0, 1000);
            long cursor = base0;
            int steps = random.Next(1, 24);
            for (int i = 0; i < steps; i++)
            {
                // Mostly near the top, sometimes a big jump, sometimes far behind, sometimes a repeat.
                long n = random.Next(0, 6) switch
                {
                    0 => cursor + random.Next(1, 3 * size),
                    1 => cursor - random.Next(0, size + 2),
                    2 => cursor,
                    3 => cursor + random.Next(0, 4),
                    4 => cursor - size + random.Next(-2, 3),
                    _ => base0 + random.Next(-2, 4 * size),
                };
                bool expected = m.Accept(n);
                Assert.Equal(expected, Offer(w, n));
                if (expected && n > cursor)
                {
                    cursor = n;
                }
            }
        }
    }

    [Fact]
    public void Update_without_a_fresh_number_changes_nothing()
    {
        var w = new ReplayWindow();
        Assert.True(w.Update(5));
        Assert.False(w.Update(5));
        Assert.Equal(5, w.Highest);
    }
}
