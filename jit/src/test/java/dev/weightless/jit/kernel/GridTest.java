package dev.weightless.jit.kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class GridTest {
    @Test
    void aGridIsNotCoResidentUnlessAskedAndAskingKeepsItsShape() {
        Grid plain = new Grid(132, 384, 200_000);
        assertFalse(plain.coResident());
        Grid together = plain.allResident();
        assertTrue(together.coResident());
        assertEquals(new Grid(132, 384, 200_000, true), together);
        assertEquals(plain.globalSize(), together.globalSize());
        assertFalse(Grid.covering(1000, 256).coResident());
    }

    @Test
    void badShapesAreRefusedEitherWay() {
        assertThrows(IllegalArgumentException.class, () -> new Grid(0, 128, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new Grid(1, 2048, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new Grid(1, 128, -1, true));
    }
}
