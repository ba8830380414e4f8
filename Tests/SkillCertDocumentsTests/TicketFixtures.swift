import Foundation

/// Small 1-inch-proportion (120 × 168 px) candidate photos: a blue-background PNG and a red-background JPEG
/// (baseline, JFIF, 3 components, made with libjpeg), each a head and shoulders.
enum TicketFixtures {
    static let bluePNG = decode([
        "iVBORw0KGgoAAAANSUhEUgAAAHgAAACoCAIAAACkOL2qAAAB70lEQVR42u3dUW0DMRBF0Qcnn+UQfgVSJOVQCgVRBlWbeMeT8ZEu",
        "gOzRKj+xX3J//1JBQQAatECDBk0BNGiBBg2aAmjQAg0atECDFmjQoAUatECDBi3QoDf2/fkB+hLWvwT6cuKX4M4Y4ubcGUbcljtT",
        "lbtZZ7ByK+vMVu5jnfHKTaxzgnIH6xyivN065yjvtQY9HXqL8kbrnKa8yxr0XOjtylusQYMGPUC53hr0ROhWysXWoEGDBt0auqFy",
        "pTVo0KBBgwYNGjRo0KDbQrdVLrP2RvvqAA0aNGjQoEGDBg0atN8MQYMGDdrZO2fvQDsfDRo0aLey3MoC7easu+DugoO212GvwwKN",
        "TSUrYVbC7N69LPTdkuOLWrd6Lmu7Z0M/zN32WSyig/6V/uU+s3+tAA1aoEGDRgAatECDBk0BNGiBBg2aAmjQAg16XbfbG+hllM8E",
        "+irZ/u4Z7NtKPCf4dhDPacS7uHOg7xbxHE5cxh3KNdZBXMMdxDXcoVxjHco11kFcwx3KNdahXGMdyjXWoVxjHco11qFcYx3KNdag",
        "W0LDfdg6lGusQ7nGGnQnaJTPW4dyjTXoHtD4VlmDbgANbqE16N3QyNZagwZ9AjSs5dagQY+HxnSFNWjQoLUAGtBF1qBBgxZo0KBB",
        "gwat/0P/AAcyjb0o0IroAAAAAElFTkSuQmCC",
    ])

    static let redJPEG = decode([
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAoHBwgHBgoICAgLCgoLDhgQDg0NDh0VFhEYIx8lJCIfIiEmKzcvJik0KSEiMEExNDk7",
        "Pj4+JS5ESUM8SDc9Pjv/2wBDAQoLCw4NDhwQEBw7KCIoOzs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7",
        "Ozs7Ozs7Ozv/wAARCACoAHgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUF",
        "BAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVW",
        "V1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi",
        "4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAEC",
        "AxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVm",
        "Z2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq",
        "8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDmqKKK8w/QwooooAKKKKACiiigAooooAKKKKACiiigAooooAKKKKACiiigAooooAKK09L8",
        "Pajq2Gt4dsR/5bSfKnfp68jHGa1B4D1LYSbm135GBubBHOecfT/PUMJ4mjB2lJXOYorY1LwvqmmJ5skQmiAy0kJLBevUYyOnXGPe",
        "seg0hUjNXi7hRRRQWFFFFABRRRQAUUUUAFFFFABXWeFvC32nZqGoR/uesULD/Wf7R/2fbv8ATriaBpw1TWYLZ1JizukwCflHJBx0",
        "z0z716kiJGixxqERQAqqMAD0FNHl5hinTXs4bsWiiimeAFcn4p8Lfad+oafH++6ywqP9Z/tD/a9u/wBevWUUG1GtOjPmieN0VueL",
        "dLj03V8wR7IJ13qAuFU9CB/P2yKw6k+qp1FUgprqFFFFBYUUUUAFFFFABRRRQB2vgG0xBd3hCHcwiU4+YYGT+Byv5V19c34FQroU",
        "hJHzXDEYYH+FRz6dO9dJVI+Xxkr15BRRRQcgUUUUAc743tPP0MTgJut5AxYjnaflIH4lfyrz2vTfFaF/DV4AQOFPLAdGB715lSZ9",
        "Dlkr0WuzCiiikekFFFFABRRRQAUUUUAd/wCA/wDkCTf9fLf+grXS1wngS+jg1CezcYa5UFD7rk4/Ik/h713dUj5jHQca8r9dQooo",
        "oOMKKKKAMbxd/wAixd/8A/8AQ1rzSu18e30YgttPAzIW85j/AHQAQPzyfy964qkz6PLoONC76u4UUUUj0AooooAKKKKACiiigCaz",
        "u5bG8iuoDiSJgw5OD7HHY9DXqemajDqlhHdQsPmHzqDnY3dT9P8A69eTVoaPrFzo14J4DuRuJIieHH9D6H/64oRw4zC+3jePxI9U",
        "orM0vxDp2rYW3m2yn/ljJ8r9+nrwM8ZrTqj5ycJQdpKzCo7m5hs7d7i4kEcUYyzHtVXUtZsNJTN3OFfGVjXl269B+GMnj3rgfEHi",
        "CbWrjAzHaxn93F6/7Te/8vzJLnVhsJOs+y7lTVtTl1bUJLuUbd3CpkkIo6Af56k1SooqT6aMVFKK2QUUUUDCiiigAooooAKKKKAC",
        "iiigApwdwhjDEIxBK54JGcH9T+dNooAKKKKACiiigAooooAKKKKACiiigAooqC4vIrfKn5n/ALopqLk7IzqVYUo803ZE9RyXMMXD",
        "yAH06n8qypb2eYEF8Key8VXrqjhv5meHWzpLSlH5v/L/AIJrNqUAbADsPUCm/wBqQ5+4+PoKy6K0+rwOF5viX2+41RqcBIG1x7kC",
        "p47uCU4WUZ9Dxn86w6KTw8ehcM5rp+8kzoaKxIbqaDhH+X+6eRWjb38c2Ff5JDxjsT7Vzzoyjruexhszo13yv3X5/wCZaooorE9M",
        "KKKKACiiq17dfZ48IR5jdPYetOMXJ2RlWqwowc57Iivb3ZmKI/N/Ew7e31rNJJJJOSepNJRXpQgoKyPisViqmJnzS+S7BRRRVnKF",
        "FFFABRRRQAUUUUAX7O+Kny52yD0Ynp9a0q56tTT7rzF8lyNyj5fcVyV6X2on0eV49tqjVfo/0/yLtFFFch9CFYdxMZ52fseg9BWr",
        "ev5do54yRtGfesWuvDR3kfOZ1Wd40l6/5BRRRXWfPBRRRQAUUUUAFFFFABRRRQAU6N2ikV16qc02ijcabi7o6BGDorjowBGaKq6a",
        "+6228ZQ4x7df8aK8uceWTR97h6vtaUandCap/wAey/74/kayqKK7cP8AAfLZv/vT9EFFFFbnlBRRRQAUUUUAFFFFABRRRQAUUUUA",
        "aOlf8tfw/rRRRXnV/wCIz7PK/wDdIfP82f/Z",
    ])

    private static func decode(_ lines: [String]) -> [UInt8] {
        guard let data = Data(base64Encoded: lines.joined()) else { preconditionFailure("bad fixture") }
        return [UInt8](data)
    }
}
