import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'isPublic';

/** Opens a route or controller to signed-out visitors; everything else needs a session. */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
